# Debian's OpenCV 4.6 -dev module packages ship no CMake config, so the modules are found here.
find_package(PkgConfig REQUIRED)

find_path(PF_OPENCV_INCLUDE opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
add_library(pf_opencv INTERFACE)
target_include_directories(pf_opencv INTERFACE ${PF_OPENCV_INCLUDE})
foreach(module core imgproc)
  find_library(PF_OPENCV_${module} opencv_${module} REQUIRED)
  target_link_libraries(pf_opencv INTERFACE ${PF_OPENCV_${module}})
endforeach()
add_library(pf::opencv ALIAS pf_opencv)
# imgcodecs pulls GDAL, Poppler and HDF5 (~80 ms of start-up): the pairforge binary reaches it
# only through a module loaded on first use (src/io/lazy_imgcodecs.h); tests, benchmarks and
# pairforge-torch link it directly.
find_library(PF_OPENCV_imgcodecs opencv_imgcodecs REQUIRED)
add_library(pf_opencv_imgcodecs INTERFACE)
target_link_libraries(pf_opencv_imgcodecs INTERFACE pf_opencv ${PF_OPENCV_imgcodecs})
add_library(pf::opencv_imgcodecs ALIAS pf_opencv_imgcodecs)
find_package(PNG REQUIRED)
# Only the tests read ONNX files with OpenCV; the binary must not load its protobuf at start-up.
find_library(PF_OPENCV_dnn opencv_dnn REQUIRED)
add_library(pf_opencv_dnn INTERFACE)
target_link_libraries(pf_opencv_dnn INTERFACE pf_opencv ${PF_OPENCV_dnn})
add_library(pf::opencv_dnn ALIAS pf_opencv_dnn)

pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil libswscale)
add_library(pf_ffmpeg INTERFACE)
target_link_libraries(pf_ffmpeg INTERFACE PkgConfig::FFMPEG)
add_library(pf::ffmpeg ALIAS pf_ffmpeg)

pkg_check_modules(MAGICK REQUIRED IMPORTED_TARGET Magick++)
add_library(pf_magick INTERFACE)
target_link_libraries(pf_magick INTERFACE PkgConfig::MAGICK)
add_library(pf::magick ALIAS pf_magick)

# PNG writing (src/io/png_writer.cpp): deflate several times faster than zlib's at a smaller size.
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)
add_library(pf_libdeflate INTERFACE)
target_link_libraries(pf_libdeflate INTERFACE PkgConfig::LIBDEFLATE)
add_library(pf::libdeflate ALIAS pf_libdeflate)

# Google Highway: portable SIMD with run-time dispatch (src/degrade/simd).
pkg_check_modules(HWY REQUIRED IMPORTED_TARGET libhwy)
add_library(pf_hwy INTERFACE)
target_link_libraries(pf_hwy INTERFACE PkgConfig::HWY)
add_library(pf::hwy ALIAS pf_hwy)

pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
add_library(pf_turbojpeg INTERFACE)
target_link_libraries(pf_turbojpeg INTERFACE PkgConfig::TURBOJPEG)
add_library(pf::turbojpeg ALIAS pf_turbojpeg)

# Font discovery for the text operator (families and files through fontconfig, never a fixed list).
pkg_check_modules(FONTCONFIG REQUIRED IMPORTED_TARGET fontconfig)
add_library(pf_fontconfig INTERFACE)
target_link_libraries(pf_fontconfig INTERFACE PkgConfig::FONTCONFIG)
add_library(pf::fontconfig ALIAS pf_fontconfig)
