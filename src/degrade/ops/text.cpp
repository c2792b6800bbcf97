// text: draw random text (subtitles, logos, captions, watermarks) with an installed font.
// Rendered by Magick++ into a transparent layer, then alpha-composited in float. Two modes:
// before_chain draws on HQ and restarts LQ from it (the LQ chain then degrades the text);
// after_chain draws the same text crisp on HQ and on the final LQ, each at its own resolution
// (text burnt in after compression).
#include "degrade/ops/text.h"

#include <Magick++.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "core/error.h"
#include "degrade/fonts.h"
#include "degrade/op.h"

namespace pf::degrade {

namespace {

constexpr double kItalicSkewDegrees = -12.0;  // oblique slant of "italic" text
constexpr double kShadowOpacity = 0.6;
constexpr double kBoxPadding = 0.15;  // box margin around the glyphs, fraction of font size
// Characters ImageMagick's draw text would interpret ('%' escapes, '\' escapes) are left out.
constexpr const char* kPunct = "!\"#$&'()*+,-./:;<=>?@[]^_{|}~";

struct TextParams {
  std::string mode;
  std::string font, font_dir, charset;
  int length;
  double size, x, y, rotation;
  bool italic;
  std::string color, outline_color;
  double outline, shadow;
  bool box;
  double box_opacity;
};

struct Rgb {
  double r, g, b;
};

void append_utf8(std::string& s, uint32_t c) {
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
}

uint32_t pick(const std::string& chars, Rng& rng) {
  return static_cast<unsigned char>(chars[rng.uniform_int(0, chars.size() - 1)]);
}

uint32_t random_char(const std::string& charset, Rng& rng) {
  static const std::string letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static const std::string digits = "0123456789";
  if (charset == "digits") return pick(digits, rng);
  if (charset == "punct") return pick(kPunct, rng);
  if (charset == "cjk") {
    const double u = rng.uniform();  // mostly ideographs, some kana as in Japanese subtitles
    if (u < 0.7) return static_cast<uint32_t>(rng.uniform_int(0x4E00, 0x9FA5));
    if (u < 0.85) return static_cast<uint32_t>(rng.uniform_int(0x3041, 0x3093));
    return static_cast<uint32_t>(rng.uniform_int(0x30A1, 0x30F3));
  }
  if (charset == "mixed") {
    const double u = rng.uniform();
    if (u < 0.6) return pick(letters, rng);
    if (u < 0.85) return pick(digits, rng);
    return pick(kPunct, rng);
  }
  return pick(letters, rng);
}

Rgb parse_color(const std::string& text, const char* param, Rng& rng) {
  if (text == "random") return {rng.uniform(), rng.uniform(), rng.uniform()};
  unsigned r = 0, g = 0, b = 0;
  char tail = 0;
  if (text.size() != 7 || std::sscanf(text.c_str(), "#%2x%2x%2x%c", &r, &g, &b, &tail) != 3)
    throw ConfigError(std::string("text: ") + param + " '" + text +
                      "' is not a colour: use #rrggbb or random");
  return {r / 255.0, g / 255.0, b / 255.0};
}

void check_color(const std::string& text) {
  Rng unused(0);
  parse_color(text, "colour", unused);
}

std::string rgba(const Rgb& c, double alpha) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "rgba(%.3f%%,%.3f%%,%.3f%%,%.4f)", 100 * c.r, 100 * c.g, 100 * c.b,
                alpha);
  return buf;
}

void init_magick() {
  static std::once_flag once;
  std::call_once(once, [] {
    Magick::InitializeMagick(nullptr);
    // One thread: ImageMagick's OpenMP split would make anti-aliasing order-dependent.
    MagickCore::SetMagickResourceLimit(MagickCore::ThreadResource, 1);
  });
}

// Everything drawn, sampled once per pair so HQ and LQ get the same text.
struct Overlay {
  const TextParams* p;
  FontFace face;
  std::string text;
  Rgb fill, outline;
};

// The text layer for a w x h image: RGBA float, straight (not premultiplied) colour.
cv::Mat render_layer(const Overlay& o, int w, int h) {
  const TextParams& p = *o.p;
  const double pt = std::max(1.0, p.size * h);
  Magick::Image layer(Magick::Geometry(w, h), Magick::Color("none"));
  layer.density(Magick::Geometry(72, 72));  // 72 dpi: one point is one pixel
  layer.font(o.face.file);
  layer.fontPointsize(pt);
  Magick::TypeMetric m;
  layer.fontTypeMetrics(o.text, &m);
  const double tw = m.textWidth(), ascent = m.ascent(), descent = m.descent();
  // Origin of the baseline so that the glyph box is centred on (x, y).
  const double ox = -tw / 2, oy = (ascent + descent) / 2;

  Magick::DrawableList d;
  d.push_back(Magick::DrawableTranslation(p.x * w, p.y * h));
  d.push_back(Magick::DrawableRotation(p.rotation));
  d.push_back(Magick::DrawableStrokeColor(Magick::Color("none")));
  if (p.box) {
    const double pad = kBoxPadding * pt;
    d.push_back(Magick::DrawableFillColor(Magick::Color(rgba({0, 0, 0}, p.box_opacity))));
    d.push_back(
        Magick::DrawableRectangle(ox - pad, oy - ascent - pad, ox + tw + pad, oy - descent + pad));
  }
  if (p.italic) d.push_back(Magick::DrawableSkewX(kItalicSkewDegrees));
  d.push_back(Magick::DrawableFont(o.face.file));
  d.push_back(Magick::DrawablePointSize(pt));
  d.push_back(Magick::DrawableTextAntialias(true));
  if (p.shadow > 0) {
    const double off = p.shadow * pt;
    d.push_back(Magick::DrawableFillColor(Magick::Color(rgba({0, 0, 0}, kShadowOpacity))));
    d.push_back(Magick::DrawableText(ox + off, oy + off, o.text, "UTF-8"));
  }
  if (p.outline > 0) {
    // A stroke twice as wide, drawn under the fill, leaves `outline` visible outside the glyph.
    d.push_back(Magick::DrawableFillColor(Magick::Color(rgba(o.outline, 1))));
    d.push_back(Magick::DrawableStrokeColor(Magick::Color(rgba(o.outline, 1))));
    d.push_back(Magick::DrawableStrokeWidth(2 * p.outline * pt));
    d.push_back(Magick::DrawableText(ox, oy, o.text, "UTF-8"));
    d.push_back(Magick::DrawableStrokeColor(Magick::Color("none")));
    d.push_back(Magick::DrawableStrokeWidth(0));
  }
  d.push_back(Magick::DrawableFillColor(Magick::Color(rgba(o.fill, 1))));
  d.push_back(Magick::DrawableText(ox, oy, o.text, "UTF-8"));
  layer.draw(d);

  cv::Mat rgba_layer(h, w, CV_32FC4);
  layer.write(0, 0, w, h, "RGBA", Magick::FloatPixel, rgba_layer.data);
  return rgba_layer;
}

void composite(const cv::Mat& layer, cv::Mat& image) {
  for (int y = 0; y < image.rows; ++y) {
    const cv::Vec4f* src = layer.ptr<cv::Vec4f>(y);
    cv::Vec3f* dst = image.ptr<cv::Vec3f>(y);
    for (int x = 0; x < image.cols; ++x) {
      const float a = src[x][3];
      if (a <= 0) continue;
      for (int c = 0; c < 3; ++c) dst[x][c] = dst[x][c] * (1 - a) + src[x][c] * a;
    }
  }
}

void draw(const Overlay& o, cv::Mat& image) {
  composite(render_layer(o, image.cols, image.rows), image);
}

}  // namespace

std::string random_text(const std::string& charset, int length, Rng& rng) {
  const bool words = charset == "latin" || charset == "mixed" || charset == "cjk";
  std::string s;
  int word_left = static_cast<int>(rng.uniform_int(2, 8));
  for (int i = 0; i < length; ++i) {
    // A space between words, never first or last.
    if (words && word_left-- == 0 && i + 1 < length && i > 0) {
      s += ' ';
      word_left = static_cast<int>(rng.uniform_int(2, 8));
      continue;
    }
    append_utf8(s, random_char(charset, rng));
  }
  return s;
}

class Text final : public TypedOp<TextParams, Text> {
 public:
  static const std::vector<Field<TextParams>>& table() {
    using P = TextParams;
    static const std::vector<Field<P>> t = {
        choice<P>(
            "mode", &P::mode, "before_chain", {"before_chain", "after_chain"},
            "before_chain: on HQ, LQ restarts from it; after_chain: crisp on HQ and final LQ"),
        text<P>("font", &P::font, "", "font family (fontconfig name); empty = a random one"),
        text<P>("font_dir", &P::font_dir, "",
                "folder of .ttf/.otf to draw from instead of the installed fonts")
            .check_text([](const std::string& dir) {
              if (!dir.empty()) fonts_in_dir(dir);  // exists and holds a font
            }),
        choice<P>("charset", &P::charset, "mixed", {"latin", "digits", "punct", "mixed", "cjk"},
                  "characters of the random string (cjk picks a font covering it)"),
        integer<P>("length", &P::length, 12, 1, 200, "number of characters"),
        real<P>("size", &P::size, 0.06, 0.005, 0.5,
                "font size, fraction of image height (log_uniform biases it small)"),
        real<P>("x", &P::x, 0.5, -0.2, 1.2, "text centre, fraction of width (off-frame allowed)"),
        real<P>("y", &P::y, 0.85, -0.2, 1.2, "text centre, fraction of height"),
        real<P>("rotation", &P::rotation, 0, -180, 180, "rotation, degrees clockwise"),
        boolean<P>("italic", &P::italic, false, "oblique slant"),
        text<P>("color", &P::color, "#ffffff", "fill colour #rrggbb, or random")
            .check_text(check_color),
        text<P>("outline_color", &P::outline_color, "#000000", "outline colour #rrggbb, or random")
            .check_text(check_color),
        real<P>("outline", &P::outline, 0, 0, 0.2, "outline width, fraction of font size (0 off)"),
        real<P>("shadow", &P::shadow, 0, 0, 0.3, "drop shadow offset, fraction of font size"),
        boolean<P>("box", &P::box, false, "draw a box (undercolour) behind the text"),
        real<P>("box_opacity", &P::box_opacity, 0.6, 0, 1, "opacity of the black box")
            .when("box=true"),
    };
    return t;
  }

  void run(const TextParams& p, Pair& pair, Rng& rng) const {
    init_magick();
    Overlay o{&p, choose_font(p.font, p.font_dir, p.charset == "cjk", rng), {}, {}, {}};
    // Without a CJK face the ideographs would draw as boxes: fall back to Latin letters.
    o.text =
        random_text(p.charset == "cjk" && !o.face.covers_cjk ? "latin" : p.charset, p.length, rng);
    o.fill = parse_color(p.color, "color", rng);
    o.outline = parse_color(p.outline_color, "outline_color", rng);
    try {
      if (p.mode == "after_chain") {
        draw(o, pair.hq);
        draw(o, pair.lq);
        return;
      }
      const cv::Mat layer = render_layer(o, pair.hq.cols, pair.hq.rows);
      composite(layer, pair.hq);
      // The following video frames carry the same burnt-in text, like a subtitle that stays.
      for (cv::Mat& f : pair.next_frames)
        if (f.size() == pair.hq.size()) composite(layer, f);
      pair.lq = pair.hq.clone();
    } catch (const Magick::Exception& e) {
      throw InputError("text: ImageMagick cannot draw with font '" + o.face.file +
                       "': " + e.what());
    }
  }
};

const OpInfo& op_text() {
  static const OpInfo info =
      make_op_info<Text>("text", "draw random text with an installed font on HQ (and LQ)");
  return info;
}

}  // namespace pf::degrade
