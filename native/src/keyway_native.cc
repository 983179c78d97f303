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
//   readPacketsInto(fd, buf, meta, max, reserve) -> n  batched reads into one buffer (TUN)
//   writePackets(fd, pkts, count)      -> n written  batched TUN writes
//   sendmmsgTo(fd, fam, addr, port, buf, meta, n, gso, stats) -> n sent  sendmmsg, optionally UDP GSO
//   recvmmsgInto(fd, buf, slot, meta, max) -> n      recvmmsg into fixed slots, with sources
//   dupFd(fd)                          -> fd         F_DUPFD_CLOEXEC
//   aeadAvailable() / aeadInit(name, key, encrypt) / aeadFree(h)
//   aeadSeal(h, nonce, aad, pt1, pt2, out, off, tagLen) / aeadOpen(h, nonce, aad, ct, tag, out, off)
//                                      AES-GCM / ChaCha20-Poly1305 with a reusable OpenSSL context

#include <napi.h>
#include <uv.h>

#include <dlfcn.h>
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

// ---- batched packet I/O for the userspace ESP dataplane -------------------
// One N-API call moves a whole burst, so the per-packet cost is the system
// call's kernel work, not JS <-> native transitions and Buffer allocations.
// Packets live in caller-owned ArrayBuffers described by Uint32Array
// "meta" tables; nothing is retained after the call returns.

// Pointer and length of a TypedArray argument (nullptr when it is not one).
uint8_t* TypedData(const Napi::Value& v, size_t* len) {
  if (!v.IsTypedArray()) {
    *len = 0;
    return nullptr;
  }
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  *len = ta.ByteLength();
  uint8_t* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data());
  // an empty array may have no storage at all; callers still need a valid pointer
  static uint8_t empty[1];
  return base == nullptr ? empty : base + ta.ByteOffset();
}

// readPacketsInto(fd, buf, meta: Uint32Array, max, reserve) -> count
// Reads packets back to back into buf (8-byte aligned starts) until EAGAIN,
// `max` packets, or fewer than `reserve` bytes left (so no read is truncated);
// meta[2i] = offset, meta[2i+1] = length.
Napi::Value ReadPacketsInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 5)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t bufLen = 0, metaLen = 0;
  uint8_t* buf = TypedData(info[1], &bufLen);
  uint32_t* meta = reinterpret_cast<uint32_t*>(TypedData(info[2], &metaLen));
  int max = info[3].As<Napi::Number>().Int32Value();
  size_t reserve = info[4].As<Napi::Number>().Uint32Value();
  if (buf == nullptr || meta == nullptr) {
    Napi::TypeError::New(env, "buf and meta must be typed arrays").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (static_cast<size_t>(max) > metaLen / 8) max = static_cast<int>(metaLen / 8);
  size_t off = 0;
  int n = 0;
  while (n < max && bufLen - off >= reserve && off < bufLen) {
    ssize_t r = read(fd, buf + off, bufLen - off);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (n > 0) break;  // report what was read; the error comes back next time
      return ThrowErrno(env, "read", errno);
    }
    if (r == 0) break;
    meta[2 * n] = static_cast<uint32_t>(off);
    meta[2 * n + 1] = static_cast<uint32_t>(r);
    n++;
    off += (static_cast<size_t>(r) + 7) & ~static_cast<size_t>(7);
  }
  return Napi::Number::New(env, n);
}

// writePackets(fd, pkts: Uint8Array[], count) -> packets written
// One write() per packet (TUN takes exactly one packet per write); a failed
// packet is skipped (as a lost packet on a link), EAGAIN ends the burst.
Napi::Value WritePackets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 3)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Array pkts = info[1].As<Napi::Array>();
  uint32_t count = info[2].As<Napi::Number>().Uint32Value();
  if (count > pkts.Length()) count = pkts.Length();
  uint32_t ok = 0;
  for (uint32_t i = 0; i < count; i++) {
    size_t len = 0;
    uint8_t* data = TypedData(pkts.Get(i), &len);
    if (data == nullptr) continue;
    ssize_t r;
    do {
      r = write(fd, data, len);
    } while (r < 0 && errno == EINTR);
    if (r >= 0) {
      ok++;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    }
  }
  return Napi::Number::New(env, ok);
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

// Destination sockaddr from (family, address bytes, port).
bool MakeSockaddr(int family, const uint8_t* addr, size_t addrLen, int port, sockaddr_storage* ss, socklen_t* sl) {
  memset(ss, 0, sizeof *ss);
  if (family == 4 && addrLen == 4) {
    sockaddr_in* sin = reinterpret_cast<sockaddr_in*>(ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    memcpy(&sin->sin_addr, addr, 4);
    *sl = sizeof *sin;
    return true;
  }
  if (family == 6 && addrLen == 16) {
    sockaddr_in6* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    memcpy(&sin6->sin6_addr, addr, 16);
    *sl = sizeof *sin6;
    return true;
  }
  return false;
}

// Sends the segments of one GSO message one by one (fallback when the kernel
// refuses UDP_SEGMENT for it, e.g. a segment larger than the path MTU, or an
// XFRM policy on the route). Returns how many went out.
uint32_t SendSegments(int fd, const mmsghdr& h, uint32_t segSize) {
  const uint8_t* p = static_cast<const uint8_t*>(h.msg_hdr.msg_iov[0].iov_base);
  size_t left = h.msg_hdr.msg_iov[0].iov_len;
  uint32_t ok = 0;
  while (left > 0) {
    size_t n = left < segSize ? left : segSize;
    ssize_t r;
    do {
      r = sendto(fd, p, n, MSG_DONTWAIT, static_cast<const sockaddr*>(h.msg_hdr.msg_name), h.msg_hdr.msg_namelen);
    } while (r < 0 && errno == EINTR);
    if (r >= 0) ok++;
    p += n;
    left -= n;
  }
  return ok;
}

// sendmmsgTo(fd, family, addr: Uint8Array, port, buf, meta: Uint32Array, count, gso, stats: Uint32Array) -> packets sent
// Sends `count` datagrams (meta[2i] = offset in buf, meta[2i+1] = length) to
// one destination with as few sendmmsg() calls as possible. With `gso`,
// runs of contiguous equal-size datagrams (the last may be shorter) go as one
// UDP GSO super-datagram (UDP_SEGMENT, Linux >= 4.18): one trip through the
// IP stack for up to 64 packets; a message the kernel refuses is resent
// segment by segment. Never throws for send errors: stats[0] += GSO
// fallbacks, stats[1] += datagrams lost to errors, stats[2] += datagrams
// dropped because the socket buffer was full (EAGAIN/ENOBUFS ends the burst).
Napi::Value SendmmsgTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 9)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int family = info[1].As<Napi::Number>().Int32Value();
  size_t addrLen = 0, bufLen = 0, metaLen = 0, statsLen = 0;
  uint8_t* addr = TypedData(info[2], &addrLen);
  int port = info[3].As<Napi::Number>().Int32Value();
  uint8_t* buf = TypedData(info[4], &bufLen);
  uint32_t* meta = reinterpret_cast<uint32_t*>(TypedData(info[5], &metaLen));
  uint32_t count = info[6].As<Napi::Number>().Uint32Value();
  bool gso = info[7].ToBoolean().Value();
  uint32_t* stats = reinterpret_cast<uint32_t*>(TypedData(info[8], &statsLen));
  sockaddr_storage ss;
  socklen_t sl = 0;
  if (addr == nullptr || buf == nullptr || meta == nullptr || stats == nullptr || statsLen < 3 * sizeof(uint32_t) ||
      !MakeSockaddr(family, addr, addrLen, port, &ss, &sl)) {
    Napi::TypeError::New(env, "sendmmsgTo: bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (count > metaLen / 8) count = static_cast<uint32_t>(metaLen / 8);
  for (uint32_t i = 0; i < count; i++) {
    if (static_cast<size_t>(meta[2 * i]) + meta[2 * i + 1] > bufLen) {
      Napi::RangeError::New(env, "sendmmsgTo: packet outside the buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  constexpr int kBatch = 64;
  constexpr uint32_t kMaxSegs = 64;
  constexpr size_t kMaxGso = 65000;
  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  uint32_t firstPkt[kBatch + 1];
  uint32_t segSize[kBatch];
  alignas(cmsghdr) char ctrl[kBatch][CMSG_SPACE(sizeof(uint16_t))];
  uint32_t sent = 0;
  uint32_t i = 0;
  while (i < count) {
    int m = 0;
    while (m < kBatch && i < count) {
      uint32_t off = meta[2 * i], len = meta[2 * i + 1];
      uint32_t segs = 1;
      size_t total = len;
      if (gso && len > 0) {
        while (i + segs < count && segs < kMaxSegs) {
          uint32_t o2 = meta[2 * (i + segs)], l2 = meta[2 * (i + segs) + 1];
          if (o2 != off + total || l2 > len || l2 == 0 || total + l2 > kMaxGso) break;
          total += l2;
          segs++;
          if (l2 < len) break;  // a shorter segment can only be the last
        }
      }
      iovs[m].iov_base = buf + off;
      iovs[m].iov_len = total;
      mmsghdr& h = msgs[m];
      memset(&h, 0, sizeof h);
      h.msg_hdr.msg_name = &ss;
      h.msg_hdr.msg_namelen = sl;
      h.msg_hdr.msg_iov = &iovs[m];
      h.msg_hdr.msg_iovlen = 1;
      segSize[m] = 0;
      if (segs > 1) {
        h.msg_hdr.msg_control = ctrl[m];
        h.msg_hdr.msg_controllen = sizeof ctrl[m];
        cmsghdr* c = CMSG_FIRSTHDR(&h.msg_hdr);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t seg = static_cast<uint16_t>(len);
        memcpy(CMSG_DATA(c), &seg, sizeof seg);
        segSize[m] = len;
      }
      firstPkt[m] = i;
      i += segs;
      m++;
    }
    firstPkt[m] = i;
    int done = 0;
    while (done < m) {
      int r = sendmmsg(fd, msgs + done, m - done, MSG_DONTWAIT);
      if (r < 0) {
        int err = errno;
        if (err == EINTR) continue;
        uint32_t pkts = firstPkt[done + 1] - firstPkt[done];
        if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
          stats[2] += count - (firstPkt[done]);
          return Napi::Number::New(env, sent);
        }
        if (segSize[done] > 0) {
          stats[0] += 1;
          uint32_t ok = SendSegments(fd, msgs[done], segSize[done]);
          sent += ok;
          stats[1] += pkts - ok;
        } else {
          stats[1] += pkts;
        }
        done++;
        continue;
      }
      for (int k = done; k < done + r; k++) sent += firstPkt[k + 1] - firstPkt[k];
      done += r;
    }
  }
  return Napi::Number::New(env, sent);
}

// recvmmsgInto(fd, buf, slot, meta: Uint32Array, max) -> count
// Receives up to `max` datagrams, datagram i into buf[i*slot, (i+1)*slot).
// meta[10i .. 10i+9] = length, family (4|6), source port, source address as
// four big-endian 32-bit words (IPv4 in the first), GRO segment size (0 =
// none), flags (1 = truncated), 0.
Napi::Value RecvmmsgInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 5)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t bufLen = 0, metaLen = 0;
  uint8_t* buf = TypedData(info[1], &bufLen);
  size_t slot = info[2].As<Napi::Number>().Uint32Value();
  uint32_t* meta = reinterpret_cast<uint32_t*>(TypedData(info[3], &metaLen));
  uint32_t max = info[4].As<Napi::Number>().Uint32Value();
  if (buf == nullptr || meta == nullptr || slot == 0) {
    Napi::TypeError::New(env, "recvmmsgInto: bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  constexpr uint32_t kBatch = 64;
  if (max > kBatch) max = kBatch;
  if (max > bufLen / slot) max = static_cast<uint32_t>(bufLen / slot);
  constexpr size_t kMeta = 10;
  if (max > metaLen / (kMeta * sizeof(uint32_t))) max = static_cast<uint32_t>(metaLen / (kMeta * sizeof(uint32_t)));
  if (max == 0) return Napi::Number::New(env, 0);
  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  sockaddr_storage from[kBatch];
  alignas(cmsghdr) char ctrl[kBatch][CMSG_SPACE(sizeof(int))];
  memset(msgs, 0, sizeof(mmsghdr) * max);
  for (uint32_t i = 0; i < max; i++) {
    iovs[i].iov_base = buf + i * slot;
    iovs[i].iov_len = slot;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_control = ctrl[i];
    msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
  }
  int r;
  do {
    r = recvmmsg(fd, msgs, max, MSG_DONTWAIT, nullptr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, 0);
    return ThrowErrno(env, "recvmmsg", errno);
  }
  for (int i = 0; i < r; i++) {
    uint32_t* m = meta + kMeta * i;
    memset(m, 0, kMeta * sizeof(uint32_t));
    m[0] = msgs[i].msg_len;
    const sockaddr_storage& ss = from[i];
    if (ss.ss_family == AF_INET) {
      const sockaddr_in* sin = reinterpret_cast<const sockaddr_in*>(&ss);
      m[1] = 4;
      m[2] = ntohs(sin->sin_port);
      m[3] = ntohl(sin->sin_addr.s_addr);
    } else if (ss.ss_family == AF_INET6) {
      const sockaddr_in6* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      m[1] = 6;
      m[2] = ntohs(sin6->sin6_port);
      for (int w = 0; w < 4; w++) {
        uint32_t v;
        memcpy(&v, sin6->sin6_addr.s6_addr + 4 * w, 4);
        m[3 + w] = ntohl(v);
      }
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != nullptr; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int seg = 0;
        memcpy(&seg, CMSG_DATA(c), sizeof seg);
        m[7] = static_cast<uint32_t>(seg);
      }
    }
    if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) m[8] |= 1;
  }
  return Napi::Number::New(env, r);
}

// dupFd(fd) -> new descriptor (close-on-exec) for the same open socket/file,
// so it can be watched by its own uv_poll while libuv keeps the original.
Napi::Value DupFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 1)) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (nfd < 0) return ThrowErrno(env, "fcntl(F_DUPFD_CLOEXEC)", errno);
  return Napi::Number::New(env, nfd);
}

// ---- AEAD with a reusable context (ESP AES-GCM, ChaCha20-Poly1305) -------
// node:crypto builds a fresh OpenSSL context per packet (cipher fetch, key
// schedule, GHASH key, several JS objects and Buffers): about 5 us for a
// 1400-byte packet of which the cipher itself is under 1 us. Here one
// EVP_CIPHER_CTX per SA and direction keeps the key schedule, and each packet
// only sets a new nonce (EVP_CipherInit_ex with the cipher and key left NULL).
// Only the AEAD primitive lives here; the ESP layout stays in TypeScript.
//
// OpenSSL is not linked: its functions are looked up in the running process
// (Node embeds OpenSSL and exports it to addons). Where they are missing,
// aeadAvailable() is false and the dataplane keeps node:crypto; the rest of
// the addon loads either way.

struct EvpFns {
  void* (*ctxNew)();
  void (*ctxFree)(void*);
  const void* (*byName)(const char*);
  int (*init)(void*, const void*, void*, const unsigned char*, const unsigned char*, int);
  int (*update)(void*, unsigned char*, int*, const unsigned char*, int);
  int (*final)(void*, unsigned char*, int*);
  int (*ctrl)(void*, int, int, void*);
  bool ok;
};

const EvpFns& Evp() {
  static EvpFns f = [] {
    EvpFns e{};
    e.ctxNew = reinterpret_cast<void* (*)()>(dlsym(RTLD_DEFAULT, "EVP_CIPHER_CTX_new"));
    e.ctxFree = reinterpret_cast<void (*)(void*)>(dlsym(RTLD_DEFAULT, "EVP_CIPHER_CTX_free"));
    e.byName = reinterpret_cast<const void* (*)(const char*)>(dlsym(RTLD_DEFAULT, "EVP_get_cipherbyname"));
    e.init = reinterpret_cast<int (*)(void*, const void*, void*, const unsigned char*, const unsigned char*, int)>(
        dlsym(RTLD_DEFAULT, "EVP_CipherInit_ex"));
    e.update = reinterpret_cast<int (*)(void*, unsigned char*, int*, const unsigned char*, int)>(dlsym(RTLD_DEFAULT, "EVP_CipherUpdate"));
    e.final = reinterpret_cast<int (*)(void*, unsigned char*, int*)>(dlsym(RTLD_DEFAULT, "EVP_CipherFinal_ex"));
    e.ctrl = reinterpret_cast<int (*)(void*, int, int, void*)>(dlsym(RTLD_DEFAULT, "EVP_CIPHER_CTX_ctrl"));
    e.ok = e.ctxNew && e.ctxFree && e.byName && e.init && e.update && e.final && e.ctrl;
    return e;
  }();
  return f;
}

// EVP_CTRL_AEAD_SET_IVLEN / GET_TAG / SET_TAG (openssl/evp.h; same values for GCM and ChaCha20-Poly1305)
constexpr int kCtrlSetIvLen = 0x9;
constexpr int kCtrlGetTag = 0x10;
constexpr int kCtrlSetTag = 0x11;
constexpr size_t kAeadNonce = 12;

struct AeadCtx {
  void* ctx = nullptr;
  bool encrypt = false;
};

void FreeAead(AeadCtx* a) {
  if (a->ctx != nullptr) Evp().ctxFree(a->ctx);  // EVP_CIPHER_CTX_free cleanses the key schedule
  a->ctx = nullptr;
}

Napi::Value AeadAvailable(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), Evp().ok); }

// aeadInit(cipherName, key, encrypt) -> handle. The key is copied into the OpenSSL context only.
Napi::Value AeadInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 3)) return env.Undefined();
  const EvpFns& f = Evp();
  if (!f.ok) {
    Napi::Error::New(env, "aeadInit: OpenSSL EVP functions not found in this process").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name != "aes-128-gcm" && name != "aes-192-gcm" && name != "aes-256-gcm" && name != "chacha20-poly1305") {
    Napi::TypeError::New(env, "aeadInit: unsupported cipher " + name).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t keyLen = 0;
  uint8_t* key = TypedData(info[1], &keyLen);
  bool encrypt = info[2].ToBoolean().Value();
  const void* cipher = f.byName(name.c_str());
  if (key == nullptr || cipher == nullptr) {
    Napi::TypeError::New(env, "aeadInit: bad key or cipher").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  AeadCtx* a = new AeadCtx();
  a->encrypt = encrypt;
  a->ctx = f.ctxNew();
  int enc = encrypt ? 1 : 0;
  if (a->ctx == nullptr || f.init(a->ctx, cipher, nullptr, nullptr, nullptr, enc) != 1 ||
      f.ctrl(a->ctx, kCtrlSetIvLen, static_cast<int>(kAeadNonce), nullptr) != 1 ||
      f.init(a->ctx, nullptr, nullptr, key, nullptr, enc) != 1) {
    FreeAead(a);
    delete a;
    Napi::Error::New(env, "aeadInit: OpenSSL refused the key").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::External<AeadCtx>::New(env, a, [](Napi::Env, AeadCtx* p) {
    FreeAead(p);
    delete p;
  });
}

AeadCtx* AeadArg(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  AeadCtx* a = v.As<Napi::External<AeadCtx>>().Data();
  return a != nullptr && a->ctx != nullptr ? a : nullptr;
}

// aeadFree(handle): frees the context now (an SA was deleted); the handle is dead afterwards.
Napi::Value AeadFree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 1)) return env.Undefined();
  if (info[0].IsExternal()) {
    AeadCtx* a = info[0].As<Napi::External<AeadCtx>>().Data();
    if (a != nullptr) FreeAead(a);
  }
  return env.Undefined();
}

// aeadSeal(handle, nonce(12), aad, pt1, pt2, out, outOff, tagLen) -> bytes written
// out[outOff ..] = encrypt(pt1 | pt2) | tag[0..tagLen) (a truncated GCM tag is its prefix).
Napi::Value AeadSeal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 8)) return env.Undefined();
  const EvpFns& f = Evp();
  AeadCtx* a = AeadArg(info[0]);
  size_t nl = 0, al = 0, l1 = 0, l2 = 0, ol = 0;
  uint8_t* nonce = TypedData(info[1], &nl);
  uint8_t* aad = TypedData(info[2], &al);
  uint8_t* p1 = TypedData(info[3], &l1);
  uint8_t* p2 = TypedData(info[4], &l2);
  uint8_t* out = TypedData(info[5], &ol);
  size_t off = info[6].As<Napi::Number>().Uint32Value();
  size_t tagLen = info[7].As<Napi::Number>().Uint32Value();
  if (a == nullptr || !a->encrypt || nonce == nullptr || nl != kAeadNonce || aad == nullptr || p1 == nullptr || p2 == nullptr ||
      out == nullptr || tagLen < 8 || tagLen > 16 || off > ol || ol - off < l1 + l2 + tagLen) {
    Napi::TypeError::New(env, "aeadSeal: bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint8_t* o = out + off;
  int n = 0, total = 0;
  bool ok = f.init(a->ctx, nullptr, nullptr, nullptr, nonce, 1) == 1 && f.update(a->ctx, nullptr, &n, aad, static_cast<int>(al)) == 1;
  ok = ok && f.update(a->ctx, o, &n, p1, static_cast<int>(l1)) == 1;
  total += n;
  ok = ok && f.update(a->ctx, o + total, &n, p2, static_cast<int>(l2)) == 1;
  total += n;
  ok = ok && f.final(a->ctx, o + total, &n) == 1;
  total += n;
  uint8_t tag[16];
  ok = ok && f.ctrl(a->ctx, kCtrlGetTag, 16, tag) == 1;
  if (!ok || static_cast<size_t>(total) != l1 + l2) {
    Napi::Error::New(env, "aeadSeal: encryption failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  memcpy(o + total, tag, tagLen);
  return Napi::Number::New(env, static_cast<double>(total + tagLen));
}

// aeadOpen(handle, nonce(12), aad, ct, tag, out, outOff) -> plaintext length, or -1 when the tag
// does not verify (OpenSSL compares in constant time). out may be ct itself (in place);
// on -1 whatever was written to out must not be used.
Napi::Value AeadOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 7)) return env.Undefined();
  const EvpFns& f = Evp();
  AeadCtx* a = AeadArg(info[0]);
  size_t nl = 0, al = 0, cl = 0, tl = 0, ol = 0;
  uint8_t* nonce = TypedData(info[1], &nl);
  uint8_t* aad = TypedData(info[2], &al);
  uint8_t* ct = TypedData(info[3], &cl);
  uint8_t* tag = TypedData(info[4], &tl);
  uint8_t* out = TypedData(info[5], &ol);
  size_t off = info[6].As<Napi::Number>().Uint32Value();
  if (a == nullptr || a->encrypt || nonce == nullptr || nl != kAeadNonce || aad == nullptr || ct == nullptr || tag == nullptr ||
      tl < 8 || tl > 16 || out == nullptr || off > ol || ol - off < cl) {
    Napi::TypeError::New(env, "aeadOpen: bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint8_t t[16];
  memcpy(t, tag, tl);  // the tag may sit in the buffer being decrypted in place
  uint8_t* o = out + off;
  int n = 0, total = 0;
  bool ok = f.init(a->ctx, nullptr, nullptr, nullptr, nonce, 0) == 1 && f.update(a->ctx, nullptr, &n, aad, static_cast<int>(al)) == 1;
  ok = ok && f.update(a->ctx, o, &n, ct, static_cast<int>(cl)) == 1;
  total += n;
  ok = ok && f.ctrl(a->ctx, kCtrlSetTag, static_cast<int>(tl), t) == 1;
  ok = ok && f.final(a->ctx, o + total, &n) == 1;
  total += n;
  return Napi::Number::New(env, ok ? total : -1);
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
  exports.Set("readPacketsInto", Napi::Function::New(env, ReadPacketsInto));
  exports.Set("writePackets", Napi::Function::New(env, WritePackets));
  exports.Set("sendmmsgTo", Napi::Function::New(env, SendmmsgTo));
  exports.Set("recvmmsgInto", Napi::Function::New(env, RecvmmsgInto));
  exports.Set("dupFd", Napi::Function::New(env, DupFd));
  exports.Set("aeadAvailable", Napi::Function::New(env, AeadAvailable));
  exports.Set("aeadInit", Napi::Function::New(env, AeadInit));
  exports.Set("aeadFree", Napi::Function::New(env, AeadFree));
  exports.Set("aeadSeal", Napi::Function::New(env, AeadSeal));
  exports.Set("aeadOpen", Napi::Function::New(env, AeadOpen));
  return exports;
}

}  // namespace

NODE_API_MODULE(keyway_native, Init)
