// gRPC over Unix-domain sockets (rpc/tls_credentials.h): a server listens on
// TCP with TLS and on a socket file beside it; a client on the same host
// calls through the file without TLS, and only the server's OS user can.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "product_db/product_db_service.h"
#include "rpc/health_client.h"
#include "rpc/product_db_client.h"
#include "rpc/server.h"
#include "rpc/tls_credentials.h"
#include "storage/product_repository.h"
#include "storage/test_database.h"
#include "tls/tls_testing.h"

namespace mp::rpc {
namespace {

namespace fs = std::filesystem;
using tls::testing::TestPki;

class UnixSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/mp-uds.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    socket_ = "unix:" + (dir_ / "db.sock").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  Status Health(const std::string& address,
                std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr) const {
    return CheckHealth(address, "", std::chrono::seconds(5), std::move(credentials));
  }

  fs::path dir_;
  std::string socket_;
};

TEST_F(UnixSocketTest, ATlsServerAlsoServesItsSocketWithoutTls) {
  TestPki pki;
  auto db = storage::testing::TestDatabase::Create(storage::Engine::kSqlite);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(storage::ProductRepository::Migrate((*db)->db()).ok());
  storage::ProductRepository repo((*db)->db());
  HandlerPool pool(0);
  product_db::ProductDbService service(repo, pool);
  auto server_tls = ServerCredentials(pki.Files(tls::kProductDb), "frontend");
  ASSERT_TRUE(server_tls.ok());
  auto server = GrpcServer::StartOn({"127.0.0.1:0", socket_}, {&service}, *server_tls);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_GT((*server)->port(), 0);

  // The frontend's TLS credentials are used on TCP and set aside for the
  // socket, where the same typed client works.
  auto client_tls = ChannelCredentials(pki.Files(tls::kFrontend));
  ASSERT_TRUE(client_tls.ok());
  v1::GetSellerRatingRequest request;
  request.set_seller_id(7);
  for (const std::string& address : {socket_, "127.0.0.1:" + std::to_string((*server)->port())}) {
    ProductDbClient client({.addresses = {address}, .credentials = *client_tls});
    auto rating = client.GetSellerRating(request);
    ASSERT_TRUE(rating.ok()) << address << ": " << rating.status().ToString();
    EXPECT_EQ(rating->up(), 0);
  }
  // TLS still guards TCP: plaintext there is refused.
  EXPECT_EQ(Health("127.0.0.1:" + std::to_string((*server)->port())).code(),
            StatusCode::kUnavailable);

  // Only the owner may open the socket file.
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "db.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(UnixSocketTest, AStaleSocketFileIsReplacedButALiveOneIsNot) {
  {
    auto first = GrpcServer::StartOn({socket_}, {});
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_EQ((*first)->port(), 0);  // no TCP address
    ASSERT_TRUE(Health(socket_).ok());

    // A second server on the same path must not take the live one's file.
    auto second = GrpcServer::StartOn({socket_}, {});
    EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
    EXPECT_TRUE(Health(socket_).ok());
  }
  // A server that stops cleanly removes its file; one killed with SIGKILL
  // leaves it, bound by nobody, as this does: the next server takes its
  // place.
  EXPECT_FALSE(fs::exists(dir_ / "db.sock"));
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = (dir_ / "db.sock").string();
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  ASSERT_TRUE(fs::is_socket(dir_ / "db.sock"));
  auto next = GrpcServer::StartOn({socket_}, {});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_TRUE(Health(socket_).ok());
}

TEST_F(UnixSocketTest, AFileThatIsNotASocketIsLeftAlone) {
  { std::ofstream(dir_ / "db.sock") << "data"; }
  auto server = GrpcServer::StartOn({socket_}, {});
  EXPECT_EQ(server.status().code(), StatusCode::kUnavailable);
  std::ifstream in(dir_ / "db.sock");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "data");
}

TEST_F(UnixSocketTest, NobodyListening) {
  Status status = Health(socket_);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
}

TEST(UnixAddressTest, OnlyUnixPrefixesAreSockets) {
  EXPECT_TRUE(IsUnixAddress("unix:/run/db.sock"));
  EXPECT_TRUE(IsUnixAddress("unix:///run/db.sock"));
  EXPECT_FALSE(IsUnixAddress("127.0.0.1:50051"));
  EXPECT_FALSE(IsUnixAddress("unixhost:50051"));
}

}  // namespace
}  // namespace mp::rpc
