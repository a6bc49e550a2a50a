#pragma once

// GoogleTest helpers for mp::Status, for every component's tests.

#include <gtest/gtest.h>

#include <string_view>

#include "common/status.h"

namespace mp::testing {

// OK when `result` failed with `code` (and `reason`, when given).
template <typename T>
::testing::AssertionResult HasError(const StatusOr<T>& result, StatusCode code,
                                    std::string_view reason = "") {
  if (result.ok()) {
    return ::testing::AssertionFailure() << "expected " << CodeName(code) << ", got OK";
  }
  Status s = result.status();
  if (s.code() != code || (!reason.empty() && s.reason() != reason)) {
    return ::testing::AssertionFailure()
           << "expected " << CodeName(code) << "/" << reason << ", got " << s.ToString();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace mp::testing
