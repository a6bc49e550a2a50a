#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/session.h"

namespace mp::bench {

// The catalogue that `--catalog N` loads before the runs: N items spread
// over extra sellers that take no part in the runs, with keywords drawn from
// a Zipf-distributed vocabulary, as the words of real listings are (a few
// words on a large share of the items, most words on a few). The
// workload's own search words are the vocabulary's most frequent ones, so
// the runs' searches meet the catalogue where it is densest.
class Catalog {
 public:
  // Items each catalogue seller registers.
  static constexpr int64_t kItemsPerSeller = 2000;
  // Words in the vocabulary, and the Zipf exponent of their frequencies.
  static constexpr int kVocabulary = 5000;
  static constexpr double kZipfExponent = 1.0;

  Catalog();

  // The vocabulary, most frequent first: the workload's words, then "w<n>".
  const std::vector<std::string>& words() const { return words_; }
  // A word drawn with the vocabulary's frequencies.
  std::string_view Draw(Rng& rng) const;
  // The JSON body of RegisterItemForSale for catalogue item `n`: 1 to 5
  // distinct drawn keywords, the workload's categories.
  std::string ItemBody(int64_t n, Rng& rng) const;

 private:
  std::vector<std::string> words_;
  std::vector<double> cumulative_;  // P(rank <= i), for Draw
};

}  // namespace mp::bench
