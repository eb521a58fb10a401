package io.mcp.grpc.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.mcp.core.internal.Transports;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * REST/JSON access to the ControlPlane service, with its status stream as Server-Sent Events and
 * the web console, on HTTP/1.1 (keep-alive) over Netty.
 *
 * <p>The routes come from the {@code google.api.http} options in {@code control_plane.proto}; a
 * request is transcoded to the method's request message (proto3 JSON mapping) and dispatched into
 * the real service through {@link GrpcControlPlaneServer#inProcessChannel()}, so it passes the same
 * interceptors as a gRPC call: bearer authentication from the {@code Authorization} header, admin
 * authorization, validation, and the server's default and maximum deadlines (a
 * {@code grpc-timeout} header or a {@code ?timeout=} parameter asks for a shorter one). Errors are
 * JSON {@code {"code": "...", "message": "..."}} with the HTTP status of
 * {@link HttpStatusMapping}. docs/GATEWAY.md has the table, the limits and examples.
 *
 * <pre>{@code
 * HttpGateway gateway = HttpGateway.create(grpcServer,
 *     HttpGatewayOptions.builder().port(8080).build()).start();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class HttpGateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().includingDefaultValueFields();
  private static final Map<String, String> CONSOLE_TYPES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "console.js", "text/javascript; charset=utf-8",
      "console.css", "text/css; charset=utf-8");
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
      + "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final io.grpc.Channel upstream;
  private final EventLoopGroup group;
  private final HttpGatewayOptions options;
  private final List<Route> routes;
  private final SseHub sse;
  private final SslContext sslContext;
  private final Map<String, byte[]> console = new LinkedHashMap<>();
  private final ChannelGroup channels = new DefaultChannelGroup("mcp-http-gateway", GlobalEventExecutor.INSTANCE);
  private Channel serverChannel;
  /** The server whose service this gateway fronts; it closes the gateway first when it shuts down. */
  private final GrpcControlPlaneServer grpcServer;
  private final Runnable closeFirst = this::close;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private HttpGateway(GrpcControlPlaneServer grpcServer, io.grpc.Channel upstream, EventLoopGroup group,
      HttpGatewayOptions options) {
    this.grpcServer = grpcServer;
    this.upstream = upstream;
    this.group = group;
    this.options = options;
    this.routes = Route.of(ControlPlaneGrpc.getServiceDescriptor());
    this.sse = new SseHub(upstream, group, options);
    this.sslContext = options.tls() == null ? null : options.tls().newServerContext();
    if (options.console()) {
      for (String name : CONSOLE_TYPES.keySet()) {
        try (InputStream in = HttpGateway.class.getResourceAsStream("console/" + name)) {
          if (in == null) {
            throw new IllegalStateException("console resource " + name + " missing from the classpath");
          }
          console.put(name, in.readAllBytes());
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read console resource " + name, e);
        }
      }
    }
  }

  /**
   * A gateway in front of {@code server}'s ControlPlane service, on the event loops of
   * {@code options} or else the server's. {@link #start()} binds it.
   *
   * @throws IllegalArgumentException if the TLS settings cannot be used, naming the file
   */
  public static HttpGateway create(GrpcControlPlaneServer server, HttpGatewayOptions options) {
    EventLoopGroup group = options.eventLoopGroup() != null ? options.eventLoopGroup() : server.eventLoopGroup();
    return new HttpGateway(server, server.inProcessChannel(), group, options);
  }

  /**
   * Binds and starts serving.
   *
   * @throws UncheckedIOException if the address cannot be bound
   */
  public HttpGateway start() {
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(group)
        .channel(Transports.serverChannel(group))
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            channels.add(ch);
            if (sslContext != null) {
              SslHandler tls = sslContext.newHandler(ch.alloc());
              tls.setHandshakeTimeoutMillis(options.requestTimeout().toMillis());
              ch.pipeline().addLast("tls", tls);
            }
            ch.pipeline()
                .addLast("watch", new ByteWatcher())
                .addLast("http", new HttpServerCodec(options.maxInitialLineBytes(), options.maxHeaderBytes(), 8192))
                .addLast("gateway", new GatewayHandler(HttpGateway.this, options));
          }
        });
    try {
      serverChannel = bootstrap.bind(new InetSocketAddress(options.host(), options.port())).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding the HTTP gateway", e);
    } catch (Exception e) {
      throw new UncheckedIOException("cannot bind HTTP gateway to " + options.host() + ":" + options.port(),
          e instanceof IOException ? (IOException) e : new IOException(e));
    }
    channels.add(serverChannel);
    // Whichever order the application stops things in, the gateway (on the server's in-process
    // channel and, by default, its event loops) closes before the gRPC server.
    grpcServer.addShutdownHook(closeFirst);
    log.info("HTTP/JSON gateway listening on port {}{}", port(), sslContext != null ? " (TLS)" : "");
    return this;
  }

  /** The bound port; valid after {@link #start()}. */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /**
   * Stops accepting, ends every SSE stream (each client gets an {@code end} event; waits up to 2 s
   * for them) and closes every connection. Idempotent. The gRPC server's shutdown (and so the
   * controller's) calls it first when the application has not.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    grpcServer.removeShutdownHook(closeFirst);
    if (serverChannel != null) {
      serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    sse.closeAll(java.time.Duration.ofSeconds(2));
    channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /** The SSE streams open, connected or waiting for a reconnect. */
  int openStreams() {
    return sse.size();
  }

  /** The number of the last event of SSE stream {@code id}; -1 if it is not open. */
  long lastEventSeq(String id) {
    return sse.lastSeq(id);
  }

  /** Serves one complete request; called on the connection's event loop. */
  void dispatch(GatewayHandler handler, HttpRequest request, byte[] body) {
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String rawPath = uri.rawPath();
    String verb = request.method().name();
    if (options.console() && (rawPath.equals("/") || rawPath.equals("/console"))) {
      FullHttpResponse redirect = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FOUND,
          Unpooled.EMPTY_BUFFER);
      redirect.headers().set(HttpHeaderNames.LOCATION, "/console/");
      handler.respond(redirect);
      return;
    }
    if (options.console() && rawPath.startsWith("/console/")) {
      serveConsole(handler, verb, rawPath.substring("/console/".length()));
      return;
    }
    List<String> segments = new ArrayList<>();
    for (String part : rawPath.substring(1).split("/", -1)) {
      segments.add(part);
    }
    Set<String> allowed = new LinkedHashSet<>();
    for (Route route : routes) {
      Map<String, String> variables = route.match(segments);
      if (variables == null) {
        continue;
      }
      if (!route.httpMethod.equals(verb)) {
        allowed.add(route.httpMethod);
        continue;
      }
      try {
        call(handler, request, route, decode(variables), uri, body);
      } catch (Route.BadRequest e) {
        FullHttpResponse response = GatewayHandler.json(HttpResponseStatus.valueOf(e.httpStatus),
            GatewayHandler.errorJson(e.httpStatus == 415 ? "UNSUPPORTED_MEDIA_TYPE" : "INVALID_ARGUMENT", e.getMessage()));
        handler.respond(response);
      } catch (IllegalArgumentException e) {
        handler.respondError(Status.Code.INVALID_ARGUMENT, e.getMessage());
      } catch (RuntimeException e) {
        log.warn("HTTP gateway failed on {} {}", verb, rawPath, e);
        handler.respondError(Status.Code.INTERNAL, "internal error");
      }
      return;
    }
    if (!allowed.isEmpty()) {
      FullHttpResponse response = GatewayHandler.json(HttpResponseStatus.METHOD_NOT_ALLOWED,
          GatewayHandler.errorJson("METHOD_NOT_ALLOWED", verb + " not allowed on " + rawPath + "; allowed: "
              + String.join(", ", allowed)));
      response.headers().set(HttpHeaderNames.ALLOW, String.join(", ", allowed));
      handler.respond(response);
      return;
    }
    handler.respond(GatewayHandler.json(HttpResponseStatus.NOT_FOUND,
        GatewayHandler.errorJson("NOT_FOUND", "no route for " + verb + " " + rawPath)));
  }

  private static Map<String, String> decode(Map<String, String> variables) {
    Map<String, String> decoded = new LinkedHashMap<>();
    variables.forEach((k, v) -> decoded.put(k, QueryStringDecoder.decodeComponent(v, StandardCharsets.UTF_8)));
    return decoded;
  }

  private void call(GatewayHandler handler, HttpRequest request, Route route, Map<String, String> variables,
      QueryStringDecoder uri, byte[] body) {
    Map<String, List<String>> query = new TreeMap<>(uri.parameters());
    List<String> timeoutParam = query.remove(Route.TIMEOUT_PARAM);
    Message message = route.request(variables, query, request.headers().get(HttpHeaderNames.CONTENT_TYPE), body,
        options.maxJsonDepth(), options.maxJsonNumberChars());
    CallOptions callOptions = CallOptions.DEFAULT;
    Long timeoutNanos = Timeouts.requested(request.headers().get("grpc-timeout"),
        timeoutParam == null ? null : timeoutParam.get(timeoutParam.size() - 1));
    if (timeoutNanos != null) {
      callOptions = callOptions.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
    }
    Metadata metadata = new Metadata();
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (authorization != null) {
      metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    }
    String traceparent = request.headers().get("traceparent");
    if (traceparent != null) {
      metadata.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), traceparent);
    }
    if (route.streaming) {
      String owner = owner(authorization, route, uri);
      sse.open(handler, route, message, metadata, callOptions, owner, request.headers().get("Last-Event-ID"));
      return;
    }
    ClientCall<Message, Message> call = upstream.newCall(route.method, callOptions);
    handler.onCancel(() -> call.cancel("HTTP client closed the connection", null));
    call.start(new ClientCall.Listener<>() {
      private Message response;

      @Override
      public void onMessage(Message message) {
        response = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (!status.isOk()) {
          handler.respondError(status.getCode(), status.getDescription() == null ? "" : status.getDescription());
          return;
        }
        try {
          handler.respond(GatewayHandler.json(HttpResponseStatus.OK, PRINTER.print(response)));
        } catch (InvalidProtocolBufferException | RuntimeException e) {
          log.warn("cannot print {} as JSON", route.method.getFullMethodName(), e);
          handler.respondError(Status.Code.INTERNAL, "cannot print the response as JSON");
        }
      }
    }, metadata);
    call.sendMessage(message);
    call.halfClose();
    call.request(2);
  }

  /** Who may resume an SSE stream: the same credentials on the same path and query. */
  private static String owner(String authorization, Route route, QueryStringDecoder uri) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update((authorization == null ? "" : authorization).getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      digest.update((route.template + "?" + new TreeMap<>(uri.parameters())).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  private void serveConsole(GatewayHandler handler, String verb, String name) {
    if (name.isEmpty()) {
      name = "index.html";
    }
    byte[] bytes = console.get(name);
    if (bytes == null) {
      handler.respond(GatewayHandler.json(HttpResponseStatus.NOT_FOUND,
          GatewayHandler.errorJson("NOT_FOUND", "no console resource " + name)));
      return;
    }
    if (!verb.equals("GET")) {
      FullHttpResponse response = GatewayHandler.json(HttpResponseStatus.METHOD_NOT_ALLOWED,
          GatewayHandler.errorJson("METHOD_NOT_ALLOWED", verb + " not allowed on /console/" + name + "; allowed: GET"));
      response.headers().set(HttpHeaderNames.ALLOW, "GET");
      handler.respond(response);
      return;
    }
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Unpooled.wrappedBuffer(bytes));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, CONSOLE_TYPES.get(name))
        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
        .set("X-Content-Type-Options", "nosniff")
        .set("Content-Security-Policy", CSP)
        .set("Referrer-Policy", "no-referrer");
    handler.respond(response);
  }
}
