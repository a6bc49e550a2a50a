#pragma once

// ThreadSanitizer does not see the ordering a gRPC completion queue gives
// between the thread that hands gRPC a tag (starting a call, a request or a
// reply) and the thread that gets it back from CompletionQueue::Next: gRPC
// is not built with it, so its locks are invisible, and every call object
// written before the hand-over and read after it looks like a race. These
// two calls mark that edge in a TSan build (scripts/sanitize.sh thread) and
// are empty otherwise; every place that hands a tag to gRPC, and each queue
// thread, calls them, so the races TSan reports are our own.

#if defined(__SANITIZE_THREAD__)
#define MP_TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP_TSAN_BUILD 1
#endif
#endif

#ifdef MP_TSAN_BUILD
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace mp::rpc {

// Just before `tag` is handed to gRPC: what this thread wrote so far is
// seen by the thread that gets the tag back.
inline void HandOverTag([[maybe_unused]] void* tag) {
#ifdef MP_TSAN_BUILD
  __tsan_release(tag);
#endif
}

// Just after CompletionQueue::Next returned `tag`.
inline void TakeBackTag([[maybe_unused]] void* tag) {
#ifdef MP_TSAN_BUILD
  __tsan_acquire(tag);
#endif
}

}  // namespace mp::rpc
