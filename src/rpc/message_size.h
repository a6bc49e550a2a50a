#pragma once

namespace mp::rpc {

// The largest gRPC message any of our channels or servers sends or
// receives, both ways (docs/design.md, "Message sizes"). Set explicitly
// rather than left to gRPC's defaults (4 MiB received, unlimited sent), so
// that both ends agree and a reply is refused where it is built, not after
// it travelled. Every reply is bounded well below it: pages of at most 500
// items, carts of at most kMaxCartLines, and ReadMany batches cut by the
// sum of their reads' largest replies (rpc/batcher.h).
inline constexpr int kMaxMessageBytes = 8 * 1024 * 1024;

}  // namespace mp::rpc
