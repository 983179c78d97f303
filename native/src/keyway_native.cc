// Keyway's small native addon: the few system calls Node cannot make.
// All message encoding (netlink/XFRM, ESP) stays in TypeScript; this file only
// opens descriptors, moves bytes and sets socket options. Every function
// reports failures as a JS Error with `errno` and `syscall` set.
//
//   openTun(name)                      -> { fd, name }   TUN device, IFF_TUN|IFF_NO_PI, non-blocking
//   readPackets(fd, max)               -> Buffer[]       non-blocking reads until EAGAIN or max
//   writePacket(fd, data)              -> bytes written
//   closeFd(fd)
//   pollReadable(fd, cb)               -> { stop() }     uv_poll readiness callback
//   netlinkOpen(protocol, groups)      -> fd             AF_NETLINK raw socket, bound, non-blocking
//   netlinkSend(fd, data)              -> bytes sent     (to the kernel, pid 0)
//   netlinkRecv(fd, max)               -> Buffer[]       datagrams until EAGAIN or max
//   setsockoptInt(fd, level, name, v)
//   setXfrmPolicyBypass(fd, family)    IKE sockets bypass IPsec policies (in and out)
//   setns(path)                        enter the network namespace at path (e.g. /run/netns/x)

#include <napi.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#ifndef IP_XFRM_POLICY
#define IP_XFRM_POLICY 17
#endif
#ifndef IPV6_XFRM_POLICY
#define IPV6_XFRM_POLICY 35
#endif

namespace {

constexpr size_t kMaxPacket = 65536;

Napi::Value ThrowErrno(Napi::Env env, const char* syscall, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

bool ArgCount(const Napi::CallbackInfo& info, size_t n) {
  if (info.Length() < n) {
    Napi::TypeError::New(info.Env(), "wrong number of arguments").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

int SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0) return -1;
  return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

Napi::Value OpenTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 1)) return env.Undefined();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.size() >= IFNAMSIZ) {
    Napi::RangeError::New(env, "interface name too long").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, "open(/dev/net/tun)", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "ioctl(TUNSETIFF)", err);
  }
  if (SetNonBlocking(fd) < 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "fcntl(O_NONBLOCK)", err);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd));
  out.Set("name", Napi::String::New(env, ifr.ifr_name));
  return out;
}

// Reads whole packets/datagrams until the descriptor would block.
Napi::Value ReadMany(const Napi::CallbackInfo& info, bool isSocket) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 2)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int max = info[1].As<Napi::Number>().Int32Value();
  Napi::Array out = Napi::Array::New(env);
  std::vector<uint8_t> buf(kMaxPacket);
  uint32_t n = 0;
  for (int i = 0; i < max; i++) {
    ssize_t r = isSocket ? recv(fd, buf.data(), buf.size(), MSG_DONTWAIT) : read(fd, buf.data(), buf.size());
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return ThrowErrno(env, isSocket ? "recv" : "read", errno);
    }
    if (r == 0) break;
    out.Set(n++, Napi::Buffer<uint8_t>::Copy(env, buf.data(), static_cast<size_t>(r)));
  }
  return out;
}

Napi::Value ReadPackets(const Napi::CallbackInfo& info) { return ReadMany(info, false); }
Napi::Value NetlinkRecv(const Napi::CallbackInfo& info) { return ReadMany(info, true); }

Napi::Value WritePacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 2)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  const uint8_t* data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  ssize_t r;
  do {
    r = write(fd, data, ta.ByteLength());
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ThrowErrno(env, "write", errno);
  return Napi::Number::New(env, static_cast<double>(r));
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 1)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (close(fd) < 0) return ThrowErrno(env, "close", errno);
  return env.Undefined();
}

// uv_poll based readiness: the JS callback is invoked (without data) when the
// descriptor becomes readable; JS then drains it with readPackets/netlinkRecv.
struct Poller {
  uv_poll_t handle;
  Napi::FunctionReference cb;
  bool stopped = false;
};

void OnPollClose(uv_handle_t* h) { delete static_cast<Poller*>(h->data); }

void OnReadable(uv_poll_t* h, int status, int events) {
  Poller* p = static_cast<Poller*>(h->data);
  if (p->stopped) return;
  Napi::Env env = p->cb.Env();
  Napi::HandleScope scope(env);
  p->cb.MakeCallback(Napi::Object::New(env), {Napi::Number::New(env, status)});
}

Napi::Value PollReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 2)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Poller* p = new Poller();
  p->cb = Napi::Persistent(info[1].As<Napi::Function>());
  p->handle.data = p;
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, &p->handle, fd);
  if (rc != 0) {
    delete p;
    Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uv_poll_start(&p->handle, UV_READABLE, OnReadable);
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("stop", Napi::Function::New(env, [p](const Napi::CallbackInfo& ci) -> Napi::Value {
    if (!p->stopped) {
      p->stopped = true;
      uv_poll_stop(&p->handle);
      p->cb.Reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), OnPollClose);
    }
    return ci.Env().Undefined();
  }));
  return handle;
}

Napi::Value NetlinkOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 2)) return env.Undefined();
  int protocol = info[0].As<Napi::Number>().Int32Value();
  uint32_t groups = info[1].As<Napi::Number>().Uint32Value();
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) return ThrowErrno(env, "socket(AF_NETLINK)", errno);
  int one = 1;
  // Extended ACKs: the kernel explains EINVAL & co. in text (NETLINK_EXT_ACK = 11).
  setsockopt(fd, SOL_NETLINK, 11, &one, sizeof one);
  int rcvbuf = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = groups;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) < 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "bind(AF_NETLINK)", err);
  }
  return Napi::Number::New(env, fd);
}

Napi::Value NetlinkSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 2)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  const uint8_t* data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  ssize_t r;
  do {
    r = sendto(fd, data, ta.ByteLength(), 0, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ThrowErrno(env, "sendto(AF_NETLINK)", errno);
  return Napi::Number::New(env, static_cast<double>(r));
}

Napi::Value SetsockoptInt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 4)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int level = info[1].As<Napi::Number>().Int32Value();
  int name = info[2].As<Napi::Number>().Int32Value();
  int value = info[3].As<Napi::Number>().Int32Value();
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) return ThrowErrno(env, "setsockopt", errno);
  return env.Undefined();
}

// A per-socket policy with action ALLOW in both directions makes the kernel
// skip the SPD for this socket, so IKE is never caught by our own policies.
Napi::Value SetXfrmPolicyBypass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 2)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int family = info[1].As<Napi::Number>().Int32Value();
  int level = family == 6 ? IPPROTO_IPV6 : IPPROTO_IP;
  int opt = family == 6 ? IPV6_XFRM_POLICY : IP_XFRM_POLICY;
  for (int dir : {XFRM_POLICY_IN, XFRM_POLICY_OUT}) {
    struct xfrm_userpolicy_info pol;
    memset(&pol, 0, sizeof pol);
    pol.action = XFRM_POLICY_ALLOW;
    pol.sel.family = family == 6 ? AF_INET6 : AF_INET;
    pol.dir = dir;
    pol.lft.soft_byte_limit = XFRM_INF;
    pol.lft.hard_byte_limit = XFRM_INF;
    pol.lft.soft_packet_limit = XFRM_INF;
    pol.lft.hard_packet_limit = XFRM_INF;
    if (setsockopt(fd, level, opt, &pol, sizeof pol) < 0) return ThrowErrno(env, "setsockopt(XFRM_POLICY)", errno);
  }
  return env.Undefined();
}

Napi::Value SetNs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 1)) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, "open(netns)", errno);
  int rc = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  if (rc < 0) return ThrowErrno(env, "setns", err);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openTun", Napi::Function::New(env, OpenTun));
  exports.Set("readPackets", Napi::Function::New(env, ReadPackets));
  exports.Set("writePacket", Napi::Function::New(env, WritePacket));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("pollReadable", Napi::Function::New(env, PollReadable));
  exports.Set("netlinkOpen", Napi::Function::New(env, NetlinkOpen));
  exports.Set("netlinkSend", Napi::Function::New(env, NetlinkSend));
  exports.Set("netlinkRecv", Napi::Function::New(env, NetlinkRecv));
  exports.Set("setsockoptInt", Napi::Function::New(env, SetsockoptInt));
  exports.Set("setXfrmPolicyBypass", Napi::Function::New(env, SetXfrmPolicyBypass));
  exports.Set("setns", Napi::Function::New(env, SetNs));
  return exports;
}

}  // namespace

NODE_API_MODULE(keyway_native, Init)
