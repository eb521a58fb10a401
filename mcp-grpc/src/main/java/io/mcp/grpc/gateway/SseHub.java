package io.mcp.grpc.gateway;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-streaming methods as Server-Sent Events, resumable with {@code Last-Event-ID}.
 *
 * <p>Each SSE request opens one upstream gRPC stream. Its events are numbered {@code <stream>.<n>}
 * (n from 1; a {@code reset} notice is {@code <stream>.0}) and the last {@code sseReplayEvents} are
 * kept. When the client goes away the upstream stream stays open for {@code sseRetention}, still
 * buffering; a reconnect that presents {@code Last-Event-ID: <stream>.<n>} with the same
 * {@code Authorization} and the same path and query gets every event after n that is still kept,
 * then the live ones. When that is impossible (stream unknown or expired, a different caller or
 * query, events after n already dropped) the reconnect opens a new stream, which starts with a
 * {@code reset} event saying why, then the method's own first messages (StreamStatus: a fresh
 * snapshot). Thread-safe: each stream's state is guarded by the stream.
 */
final class SseHub {
  private static final Logger log = LoggerFactory.getLogger(SseHub.class);
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().includingDefaultValueFields()
      .omittingInsignificantWhitespace();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final io.grpc.Channel upstream;
  private final EventLoopGroup timers;
  private final HttpGatewayOptions options;
  private final Map<String, Stream> streams = new ConcurrentHashMap<>();
  /** Notified whenever a stream is removed. */
  private final Object ended = new Object();

  SseHub(io.grpc.Channel upstream, EventLoopGroup timers, HttpGatewayOptions options) {
    this.upstream = upstream;
    this.timers = timers;
    this.options = options;
  }

  int size() {
    return streams.size();
  }

  /**
   * Serves one SSE request on {@code handler}'s connection: resumes the stream named by
   * {@code lastEventId} when it can, else opens a new one. Called on the connection's event loop.
   */
  void open(GatewayHandler handler, Route route, Message request, Metadata headers, CallOptions callOptions,
      String owner, String lastEventId) {
    String notice = null;
    if (lastEventId != null && !lastEventId.isBlank()) {
      int dot = lastEventId.lastIndexOf('.');
      Stream previous = dot > 0 ? streams.get(lastEventId.substring(0, dot)) : null;
      long seq = -1;
      try {
        seq = dot > 0 ? Long.parseLong(lastEventId.substring(dot + 1)) : -1;
      } catch (NumberFormatException e) {
        seq = -1;
      }
      if (previous == null || seq < 0) {
        notice = "stream of Last-Event-ID " + lastEventId + " is unknown or expired";
      } else if (!previous.owner.equals(owner)) {
        notice = "Last-Event-ID " + lastEventId + " belongs to another caller or query";
      } else if (previous.attach(handler, seq)) {
        return;
      } else {
        notice = "events after " + lastEventId + " are no longer buffered";
      }
    }
    if (streams.size() >= options.maxSseStreams() && !evictDetached()) {
      handler.respondError(Status.Code.RESOURCE_EXHAUSTED, "too many SSE streams open (max "
          + options.maxSseStreams() + ")");
      return;
    }
    byte[] random = new byte[12];
    RANDOM.nextBytes(random);
    Stream stream = new Stream(Base64.getUrlEncoder().withoutPadding().encodeToString(random), owner);
    streams.put(stream.id, stream);
    stream.start(handler, route, request, headers, callOptions, notice);
  }

  private boolean evictDetached() {
    for (Stream stream : streams.values()) {
      if (stream.expireIfDetached("evicted: too many SSE streams")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Ends every stream (gateway shutdown) and waits up to {@code timeout} until each has written its
   * {@code end} event.
   */
  void closeAll(Duration timeout) {
    for (Stream stream : streams.values()) {
      stream.cancelUpstream("gateway shutting down");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (ended) {
      long left;
      while (!streams.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(ended, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    streams.clear();
  }

  private void remove(Stream stream) {
    streams.remove(stream.id, stream);
    synchronized (ended) {
      ended.notifyAll();
    }
  }

  private static final class Event {
    final long seq;
    final String text;

    Event(long seq, String text) {
      this.seq = seq;
      this.text = text;
    }
  }

  /** One upstream stream and the client connection currently reading it, if any. */
  final class Stream {
    final String id;
    final String owner;
    private final ArrayDeque<Event> ring = new ArrayDeque<>();
    private long nextSeq = 1;
    private ClientCall<Message, Message> call;
    private GatewayHandler handler;
    private Channel channel;
    private boolean headersSent;
    private boolean ended;
    /** A request(1) is owed: the last message found the client connection unwritable. */
    private boolean owed;
    private String notice;
    private ScheduledFuture<?> expiry;
    private ScheduledFuture<?> heartbeat;

    Stream(String id, String owner) {
      this.id = id;
      this.owner = owner;
    }

    void start(GatewayHandler handler, Route route, Message request, Metadata headers, CallOptions callOptions,
        String notice) {
      synchronized (this) {
        this.notice = notice;
        bind(handler);
        call = upstream.newCall(route.method, callOptions);
      }
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onHeaders(Metadata metadata) {
          synchronized (Stream.this) {
            if (channel != null) {
              sendHeaders();
            }
          }
        }

        @Override
        public void onMessage(Message message) {
          onEvent(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          onEnd(status);
        }
      }, headers);
      call.sendMessage(request);
      call.halfClose();
      call.request(1);
    }

    /** Takes over the client side from the given connection, replaying events after {@code afterSeq}. */
    boolean attach(GatewayHandler newHandler, long afterSeq) {
      GatewayHandler old;
      synchronized (this) {
        if (ended || afterSeq >= nextSeq) {
          return false;
        }
        long oldest = ring.isEmpty() ? nextSeq : ring.peekFirst().seq;
        if (afterSeq + 1 < oldest) {
          return false;
        }
        old = handler;
        unbind();
        bind(newHandler);
        sendHeaders();
        for (Event event : ring) {
          if (event.seq > afterSeq) {
            write(event.text);
          }
        }
        requestIfOwed();
      }
      if (old != null) {
        old.closeConnection(); // a newer connection took this stream over
      }
      return true;
    }

    private void bind(GatewayHandler newHandler) {
      handler = newHandler;
      channel = newHandler.channel();
      headersSent = false;
      if (expiry != null) {
        expiry.cancel(false);
        expiry = null;
      }
      newHandler.attached(this);
      long every = options.sseHeartbeat().toNanos();
      heartbeat = channel.eventLoop().scheduleAtFixedRate(this::heartbeat, every, every, TimeUnit.NANOSECONDS);
    }

    private void unbind() {
      if (heartbeat != null) {
        heartbeat.cancel(false);
        heartbeat = null;
      }
      handler = null;
      channel = null;
    }

    /** The client connection {@code from} closed. */
    void detach(GatewayHandler from) {
      synchronized (this) {
        if (handler != from) {
          return;
        }
        unbind();
        if (ended) {
          remove(this);
          return;
        }
        long retention = options.sseRetention().toNanos();
        expiry = timers.next().schedule(() -> expireIfDetached("client did not reconnect within "
            + options.sseRetention().toMillis() + " ms"), retention, TimeUnit.NANOSECONDS);
        requestIfOwed();
      }
    }

    boolean expireIfDetached(String reason) {
      synchronized (this) {
        if (channel != null || ended) {
          return false;
        }
      }
      cancel(reason);
      return true;
    }

    /** Cancels the upstream call; its end (an {@code end} event to an attached client) removes the stream. */
    void cancelUpstream(String reason) {
      ClientCall<Message, Message> toCancel;
      synchronized (this) {
        toCancel = call;
      }
      if (toCancel != null) {
        toCancel.cancel(reason, null);
      } else {
        remove(this);
      }
    }

    void cancel(String reason) {
      ClientCall<Message, Message> toCancel;
      synchronized (this) {
        toCancel = call;
      }
      remove(this);
      if (toCancel != null) {
        toCancel.cancel(reason, null);
      }
    }

    /** The client connection became writable again. */
    void writable(GatewayHandler from) {
      synchronized (this) {
        if (handler == from && channel.isWritable()) {
          requestIfOwed();
        }
      }
    }

    private void requestIfOwed() {
      if (owed) {
        owed = false;
        call.request(1);
      }
    }

    private void onEvent(Message message) {
      String json;
      try {
        json = PRINTER.print(message);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        log.warn("cannot print {} as JSON", message.getDescriptorForType().getFullName(), e);
        call.request(1);
        return;
      }
      synchronized (this) {
        long seq = nextSeq++;
        String text = "id: " + id + "." + seq + "\ndata: " + json + "\n\n";
        ring.addLast(new Event(seq, text));
        while (ring.size() > options.sseReplayEvents()) {
          ring.removeFirst();
        }
        if (channel == null) {
          call.request(1);
          return;
        }
        sendHeaders();
        write(text);
        if (channel.isWritable()) {
          call.request(1);
        } else {
          owed = true;
        }
      }
    }

    private void onEnd(Status status) {
      GatewayHandler current;
      boolean sent;
      synchronized (this) {
        ended = true;
        current = handler;
        sent = headersSent;
        if (current == null) {
          remove(this);
          return;
        }
        if (headersSent) {
          String body = GatewayHandler.errorJson(status.getCode(), status.getDescription() == null ? ""
              : status.getDescription());
          write("event: end\nid: " + id + "." + nextSeq + "\ndata: " + body + "\n\n");
          channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        unbind();
        remove(this);
      }
      if (sent) {
        current.closeConnection();
      } else {
        // Refused before any event (authentication, validation): an ordinary JSON error response.
        current.respondError(status.getCode(), status.getDescription() == null ? "" : status.getDescription());
      }
    }

    private void sendHeaders() {
      if (headersSent) {
        return;
      }
      headersSent = true;
      HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      response.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
          .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
          .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
          .set("X-Content-Type-Options", "nosniff")
          .set("X-Accel-Buffering", "no");
      channel.write(response);
      if (notice != null) {
        write("event: reset\nid: " + id + ".0\ndata: " + GatewayHandler.jsonObject("reason", notice) + "\n\n");
        notice = null;
      } else {
        channel.flush();
      }
    }

    private void heartbeat() {
      synchronized (this) {
        if (channel != null && headersSent) {
          write(": keep-alive\n\n");
        }
      }
    }

    private void write(String text) {
      channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
    }
  }

  /** The number of the last event stream {@code id} produced, or -1 if there is no such stream. */
  long lastSeq(String id) {
    Stream stream = streams.get(id);
    if (stream == null) {
      return -1;
    }
    synchronized (stream) {
      return stream.nextSeq - 1;
    }
  }
}
