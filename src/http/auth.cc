#include "http/auth.h"

#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace mp::http {

class SessionBatcher : public std::enable_shared_from_this<SessionBatcher> {
 public:
  explicit SessionBatcher(const rpc::CustomerDbClient& customers) : customers_(customers) {}

  void Check(v1::SessionRequest session, rpc::Callback<v1::SessionInfo> done) {
    std::unique_lock lock(mu_);
    pending_.push_back({std::move(session), std::move(done)});
    if (in_flight_ >= kMaxInFlight) return;
    ++in_flight_;
    std::vector<Waiter> batch = Take();
    lock.unlock();
    Send(std::move(batch));
  }

 private:
  // Two batches at once keep both of the customer DB's cores busy; more
  // would only make the batches smaller.
  static constexpr int kMaxInFlight = 2;
  static constexpr size_t kMaxBatch = 500;

  struct Waiter {
    v1::SessionRequest session;
    rpc::Callback<v1::SessionInfo> done;
  };

  // REQUIRES: mu_ held.
  std::vector<Waiter> Take() {
    std::vector<Waiter> batch;
    if (pending_.size() <= kMaxBatch) {
      batch.swap(pending_);
    } else {
      auto end = pending_.begin() + kMaxBatch;
      batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(end));
      pending_.erase(pending_.begin(), end);
    }
    return batch;
  }

  void Send(std::vector<Waiter> batch) {
    v1::ValidateSessionsRequest request;
    for (const Waiter& w : batch) *request.add_sessions() = w.session;
    customers_.ValidateSessions(request, [self = shared_from_this(), batch = std::move(batch)](
                                             StatusOr<v1::ValidateSessionsResponse> reply) mutable {
      self->Deliver(batch, reply);
      self->Next();
    });
  }

  static void Deliver(std::vector<Waiter>& batch,
                      const StatusOr<v1::ValidateSessionsResponse>& reply) {
    if (reply.ok() && reply->checks_size() != static_cast<int>(batch.size())) {
      Status wrong = Internal("the customer DB answered a different number of sessions");
      for (Waiter& w : batch) w.done(wrong);
      return;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!reply.ok()) {
        batch[i].done(reply.status());
        continue;
      }
      const v1::SessionCheck& check = reply->checks(static_cast<int>(i));
      if (check.live()) {
        batch[i].done(check.info());
      } else {
        batch[i].done(Unauthenticated(check.message()));
      }
    }
  }

  void Next() {
    std::unique_lock lock(mu_);
    if (pending_.empty()) {
      --in_flight_;
      return;
    }
    std::vector<Waiter> batch = Take();
    lock.unlock();
    Send(std::move(batch));
  }

  const rpc::CustomerDbClient& customers_;
  std::mutex mu_;
  std::vector<Waiter> pending_;
  int in_flight_ = 0;
};

SessionAuth::SessionAuth(const TokenCodec& codec, const rpc::CustomerDbClient& customers,
                         v1::Role role)
    : codec_(codec),
      customers_(customers),
      role_(role),
      batcher_(std::make_shared<SessionBatcher>(customers)) {}

void SessionAuth::Validate(v1::SessionRequest session, rpc::Callback<v1::SessionInfo> done) const {
  batcher_->Check(std::move(session), std::move(done));
}

StatusOr<v1::SessionRequest> SessionAuth::SessionFromToken(const Request& request) const {
  MP_ASSIGN_OR_RETURN(std::string_view token, BearerToken(request.authorization));
  MP_ASSIGN_OR_RETURN(SessionClaims claims, codec_.Verify(token));
  if (claims.role != role_) {
    return Unauthenticated("this token belongs to the other side of the marketplace");
  }
  v1::SessionRequest session;
  session.set_session_id(std::move(claims.session_id));
  session.set_role(claims.role);
  return session;
}

StatusOr<int64_t> SessionAuth::UserFromToken(const Request& request) const {
  MP_ASSIGN_OR_RETURN(std::string_view token, BearerToken(request.authorization));
  MP_ASSIGN_OR_RETURN(SessionClaims claims, codec_.Verify(token));
  if (claims.role != role_) return Unauthenticated("token of another role");
  return claims.user_id;
}

void SessionAuth::Check(const Request& request, rpc::Callback<v1::SessionInfo> done) const {
  auto session = SessionFromToken(request);
  if (!session.ok()) {
    done(session.status());
    return;
  }
  Validate(*std::move(session), std::move(done));
}

void SessionAuth::ReadAlongside(const Request& request,
                                std::function<void(int64_t user_id, Done)> read, Done done) const {
  auto token = BearerToken(request.authorization);
  if (!token.ok()) return done(token.status());
  auto claims = codec_.Verify(*token);
  if (!claims.ok()) return done(claims.status());
  if (claims->role != role_) {
    return done(Unauthenticated("this token belongs to the other side of the marketplace"));
  }
  v1::SessionRequest session;
  session.set_session_id(claims->session_id);
  session.set_role(claims->role);

  // Whichever of the two answers comes second finishes the request.
  struct Join {
    std::mutex mu;
    std::optional<Status> session;
    std::optional<StatusOr<Reply>> read;
    Done done;
    int64_t user_id;
    void Finish() {
      Status s = *session;
      if (s.ok())
        done(std::move(*read));
      else
        done(s);
    }
  };
  auto join = std::make_shared<Join>();
  join->done = std::move(done);
  join->user_id = claims->user_id;
  Validate(std::move(session), [join](StatusOr<v1::SessionInfo> info) {
    Status s = info.ok() && info->user_id() != join->user_id
                   ? Unauthenticated("the token does not match its session")
                   : info.status();
    std::unique_lock lock(join->mu);
    join->session = s;
    if (!join->read) return;
    lock.unlock();
    join->Finish();
  });
  read(claims->user_id, [join](StatusOr<Reply> reply) {
    std::unique_lock lock(join->mu);
    join->read = std::move(reply);
    if (!join->session) return;
    lock.unlock();
    join->Finish();
  });
}

}  // namespace mp::http
