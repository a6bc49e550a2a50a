#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <string>

namespace mp::bench {

// Parses one HTTP response, keeping only its status and body. Header fields
// are dropped as they pass, so a reply costs no allocation once `body` has
// grown (beast's response<string_body> allocates each field). Construct one
// per reply: a basic_parser cannot be reset.
class ReplyParser final : public boost::beast::http::basic_parser<false> {
 public:
  // Clears `body`, which receives the reply body; it must outlive the parser.
  explicit ReplyParser(std::string& body) : body_(body) { body_.clear(); }

  int status() const { return status_; }

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::beast::error_code;

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(boost::beast::http::field, string_view, string_view, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) body_.reserve(static_cast<size_t>(*length));
  }
  size_t on_body_impl(string_view data, error_code&) override {
    body_.append(data.data(), data.size());
    return data.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, string_view data, error_code&) override {
    body_.append(data.data(), data.size());
    return data.size();
  }
  void on_finish_impl(error_code&) override {}

  std::string& body_;
  int status_ = 0;
};

}  // namespace mp::bench
