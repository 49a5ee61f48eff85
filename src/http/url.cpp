#include "http/http.h"

namespace tsyncd {

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
                      u == '.' || u == '_' || u == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    }
  }
  return out;
}

std::string basic_auth_header(std::string_view user, std::string_view password) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string plain = std::string(user) + ":" + std::string(password);
  std::string encoded;
  encoded.reserve((plain.size() + 2) / 3 * 4);
  for (size_t i = 0; i < plain.size(); i += 3) {
    size_t left = plain.size() - i;
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(plain[i])) << 16;
    if (left > 1) group |= static_cast<uint32_t>(static_cast<unsigned char>(plain[i + 1])) << 8;
    if (left > 2) group |= static_cast<unsigned char>(plain[i + 2]);
    encoded += kAlphabet[(group >> 18) & 0x3F];
    encoded += kAlphabet[(group >> 12) & 0x3F];
    encoded += left > 1 ? kAlphabet[(group >> 6) & 0x3F] : '=';
    encoded += left > 2 ? kAlphabet[group & 0x3F] : '=';
  }
  return "Basic " + encoded;
}

}  // namespace tsyncd
