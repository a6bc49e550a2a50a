#include "bench/catalog.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "bench/workload.h"

namespace mp::bench {

Catalog::Catalog() {
  for (std::string_view w : kWords) words_.emplace_back(w);
  for (int n = static_cast<int>(words_.size()); n < kVocabulary; ++n) {
    // (GCC 12 warns falsely, -Wrestrict, on "literal" + string.)
    std::string word = "w";
    word += std::to_string(n);
    words_.push_back(std::move(word));
  }
  double sum = 0;
  for (int rank = 1; rank <= kVocabulary; ++rank) {
    sum += 1.0 / std::pow(rank, kZipfExponent);
    cumulative_.push_back(sum);
  }
  for (double& c : cumulative_) c /= sum;
}

std::string_view Catalog::Draw(Rng& rng) const {
  double u = static_cast<double>(rng.Next() >> 11) * 0x1.0p-53;
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  size_t rank = std::min(static_cast<size_t>(it - cumulative_.begin()), words_.size() - 1);
  return words_[rank];
}

std::string Catalog::ItemBody(int64_t n, Rng& rng) const {
  std::set<std::string_view> keywords;
  const uint32_t count = 1 + rng.Below(5);
  // A drawn word already taken is drawn again; the most frequent words
  // would otherwise make short keyword lists common.
  for (int tries = 0; keywords.size() < count && tries < 20; ++tries) keywords.insert(Draw(rng));
  std::string body = R"({"name":"Catalogue item )";
  body.append(std::to_string(n)).append(R"(","category":)");
  body.append(std::to_string(1 + n % kCategories)).append(R"(,"keywords":[)");
  bool first = true;
  for (std::string_view k : keywords) {
    if (!first) body += ',';
    first = false;
    body.append("\"").append(k).append("\"");
  }
  body += R"(],"condition":"used","price":)";
  AppendPrice(body, 100 + rng.Below(99'900));
  body += R"(,"quantity":100})";
  return body;
}

}  // namespace mp::bench
