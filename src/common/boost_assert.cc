// Where Boost's assertions land in builds without NDEBUG (the sanitizer and
// fuzz builds; mp_common sets BOOST_ENABLE_ASSERT_DEBUG_HANDLER for all its
// users). Release builds compile the assertions out and never get here.
//
// Every assertion aborts, as <cassert> would, except the ones listed below:
// assertions that are wrong in the Boost that Debian 12 ships, and that a
// client could otherwise trip from the network to stop a debug server.

#include <boost/assert.hpp>
#include <boost/version.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool EndsWith(const char* text, const char* suffix) {
  size_t n = std::strlen(text), m = std::strlen(suffix);
  return n >= m && std::strcmp(text + n - m, suffix) == 0;
}

// Beast's chunked-body parser asserts that at least five bytes are buffered
// when it comes back to a final chunk whose trailer had not all arrived. A
// body that is only the final chunk ("0\r\n\r\n") has three such bytes when
// the parser stops for more, four after one more byte: the assertion fires,
// yet the code after it is right and asks for more again. Upstream made the
// assertion match (boostorg/beast pull request 2861, in Boost 1.86).
bool KnownWrong(const char* expr, const char* file) {
#if BOOST_VERSION < 108600
  if (std::strcmp(expr, "n >= 5") == 0 && EndsWith(file, "beast/http/impl/basic_parser.ipp")) {
    return true;
  }
#endif
  (void)expr;
  (void)file;
  return false;
}

[[noreturn]] void Fail(const char* expr, const char* msg, const char* function, const char* file,
                       long line) {
  std::fprintf(stderr, "%s:%ld: %s: Boost assertion `%s' failed%s%s\n", file, line, function, expr,
               msg ? ": " : "", msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace

namespace boost {

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (KnownWrong(expr, file)) return;
  Fail(expr, nullptr, function, file, line);
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
  if (KnownWrong(expr, file)) return;
  Fail(expr, msg, function, file, line);
}

}  // namespace boost
