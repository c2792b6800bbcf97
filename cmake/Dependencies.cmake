# Debian's OpenCV 4.6 -dev module packages ship no CMake config, so the modules are found here.
find_package(PkgConfig REQUIRED)

# pf_pkg_library(NAME MODULE...): the pkg-config modules as one target, pf::NAME.
function(pf_pkg_library name)
  string(TOUPPER ${name} prefix)
  pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET GLOBAL ${ARGN})
  add_library(pf::${name} ALIAS PkgConfig::${prefix})
endfunction()

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

pf_pkg_library(ffmpeg libavformat libavcodec libavutil libswscale libavfilter)

pf_pkg_library(magick Magick++)

# PNG writing (src/io/png_writer.cpp): deflate several times faster than zlib's at a smaller size.
pf_pkg_library(libdeflate libdeflate)

# Google Highway: portable SIMD with run-time dispatch (src/degrade/simd).
pf_pkg_library(hwy libhwy)

pf_pkg_library(turbojpeg libturbojpeg)

# Font discovery for the text operator (families and files through fontconfig, never a fixed list).
pf_pkg_library(fontconfig fontconfig)
