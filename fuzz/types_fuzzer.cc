// Fuzzes the domain types every edge parses (common/types.h): item ids, money,
// keywords, UTF-8 and the docs/contract.md §2 text checks. The input is one text; for the
// keyword list it is split at commas, as the buyer's search query is.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"
#include "fuzz_check.h"

namespace {

void CheckItemId(std::string_view text) {
  auto id = mp::ItemId::Parse(text);
  if (!id.ok()) return;
  // Only the canonical form parses, so printing gives the input back.
  MP_FUZZ_CHECK(id->ToString() == text);
  MP_FUZZ_CHECK(id->category >= 0 && id->category <= mp::kMaxCategory);
  MP_FUZZ_CHECK(id->number >= 0);
}

void CheckMoney(std::string_view text) {
  auto money = mp::Money::Parse(text);
  if (!money.ok()) return;
  MP_FUZZ_CHECK(money->cents > 0 && money->cents <= mp::kMaxPriceCents);
  auto again = mp::Money::Parse(money->ToString());
  MP_FUZZ_CHECK(again.ok() && *again == *money);
}

void CheckText(std::string_view text) {
  bool utf8 = mp::IsValidUtf8(text);
  int printable = mp::CountPrintableChars(text);
  // Printable text is UTF-8, and has at most one code point per byte.
  MP_FUZZ_CHECK(printable < 0 || utf8);
  MP_FUZZ_CHECK(printable <= static_cast<int>(text.size()));
  (void)mp::ValidateName("name", text);
  (void)mp::ValidateUsername(text);
  (void)mp::ValidatePassword(text);
  (void)mp::ValidateKey("key", text);
}

void CheckKeywords(std::string_view text) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = std::min(text.find(',', start), text.size());
    words.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  auto normal = mp::NormalizeKeywords(words);
  if (!normal.ok()) return;
  MP_FUZZ_CHECK(normal->size() == words.size());
  for (size_t i = 0; i < normal->size(); ++i) {
    const std::string& w = (*normal)[i];
    MP_FUZZ_CHECK(!w.empty() && w.size() <= mp::kMaxKeywordChars);
    for (char c : w) MP_FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    MP_FUZZ_CHECK(i == 0 || (*normal)[i - 1] < w);
  }
  // Normal form is a fixed point.
  auto twice = mp::NormalizeKeywords(*normal);
  MP_FUZZ_CHECK(twice.ok() && *twice == *normal);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckItemId(text);
  CheckMoney(text);
  CheckText(text);
  CheckKeywords(text);
  return 0;
}
