#include "cli/source_flags.h"

#include <stdexcept>

#include "core/error.h"

namespace pf::cli {

void SourceFlags::add_to(CLI::App* cmd) {
  cmd->add_option("--fields", fields,
                  "auto (detect per video: idet before and after fieldmatch), progressive, ivtc "
                  "(fieldmatch + decimate: telecined film), deinterlace (bwdif)")
      ->capture_default_str();
  cmd->add_option("--hdr", hdr,
                  "PQ/HLG sources: auto = tonemap to SDR BT.709; keep = 16-bit BT.2020 PNGs "
                  "tagged with cICP")
      ->capture_default_str();
  cmd->add_option("--tonemap", options.tonemap,
                  "tone-mapping operator (libavfilter tonemap): hable, mobius, reinhard, clip, "
                  "linear, gamma, none")
      ->capture_default_str();
  cmd->add_option("--tonemap-param", options.tonemap_param,
                  "the operator's parameter (-1 = its default)");
  cmd->add_option("--tonemap-desat", options.tonemap_desat, "highlight desaturation strength")
      ->capture_default_str();
  cmd->add_option("--tonemap-peak", options.tonemap_peak,
                  "signal peak, in units of --npl (0 = from the stream's metadata)");
  cmd->add_option("--npl", options.npl, "nominal peak luminance of SDR white, nits")
      ->capture_default_str();
  cmd->add_option("--crop", crop,
                  "auto (one box per video from cropdetect on frames across it), none, or W:H:X:Y")
      ->capture_default_str();
  cmd->add_option("--sar", sar,
                  "non-square pixels: keep (write storage pixels, record the SAR in pHYs and "
                  "frames.json) or square (resample to the display aspect)")
      ->capture_default_str();
  cmd->add_option("--sar-filter", options.sar_filter,
                  "resampling filter of --sar square: lanczos, spline, bicubic, bilinear")
      ->capture_default_str();
}

io::SourceOptions SourceFlags::parse() const {
  io::SourceOptions o = options;
  try {
    o.fields = io::parse_field_mode(fields);
    o.hdr = io::parse_hdr_mode(hdr);
    o.sar = io::parse_sar_mode(sar);
    io::parse_crop(crop, o);
    io::check_tonemap(o);
  } catch (const std::invalid_argument& e) {
    throw Error(std::string("bad source option: ") + e.what(), ExitCode::kUsage);
  }
  return o;
}

}  // namespace pf::cli
