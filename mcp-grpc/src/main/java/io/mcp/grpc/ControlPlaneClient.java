package io.mcp.grpc;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NegotiationType;
import io.grpc.netty.NettyChannelBuilder;
import io.mcp.core.TlsOptions;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ConfigResponse;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * A client of the ControlPlane gRPC API: blocking and async stubs with the caller's bearer token and
 * a default deadline, on a channel whose service config retries UNAVAILABLE with exponential backoff
 * and throttling (never INVALID_ARGUMENT, PERMISSION_DENIED and the other caller errors; see
 * docs/ERRORS.md). {@link #apply} gives every apply a request id, so a retried apply lands once.
 *
 * <p>Thread-safe; one client per controller endpoint, closed when done.
 */
public final class ControlPlaneClient implements AutoCloseable {
  /** The retry policy every ControlPlane call gets unless the caller builds its own channel. */
  static final Map<String, ?> SERVICE_CONFIG = Map.of(
      "methodConfig", List.of(Map.of(
          "name", List.of(Map.of("service", ControlPlaneGrpc.SERVICE_NAME)),
          "retryPolicy", Map.of(
              "maxAttempts", 4.0,
              "initialBackoff", "0.1s",
              "maxBackoff", "2s",
              "backoffMultiplier", 2.0,
              "retryableStatusCodes", List.of("UNAVAILABLE")))),
      "retryThrottling", Map.of("maxTokens", 10.0, "tokenRatio", 0.1));

  private final ManagedChannel channel;
  private final CallCredentials credentials;
  private final Duration deadline;

  private ControlPlaneClient(ManagedChannel channel, String token, Duration deadline) {
    this.channel = channel;
    this.credentials = token.isEmpty() ? null : new BearerToken(token);
    this.deadline = deadline;
  }

  /**
   * A client of {@code host:port}.
   *
   * @param token the bearer token (empty for none, for example under mutual TLS)
   * @param tls TLS settings, or {@code null} for plaintext; {@link TlsOptions#verifyHostname()} is honoured
   * @throws IllegalArgumentException if a TLS file is missing or unreadable, naming it
   * @param deadline the deadline of every call made through {@link #blocking()} and {@link #async()}
   */
  public static ControlPlaneClient create(String host, int port, String token, TlsOptions tls, Duration deadline) {
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(host, port)
        .defaultServiceConfig(SERVICE_CONFIG)
        .enableRetry()
        .maxInboundMessageSize(16 * 1024 * 1024);
    if (tls == null) {
      builder.negotiationType(NegotiationType.PLAINTEXT);
    } else {
      builder.sslContext(clientContext(tls));
    }
    return new ControlPlaneClient(builder.build(), Objects.requireNonNull(token, "token"), deadline);
  }

  /**
   * The client context: {@link TlsOptions#newClientContextBuilder()} (its file checks, JDK provider,
   * protocols, trust and client certificate) with gRPC's HTTP/2 ALPN and ciphers on top.
   *
   * <p>{@link TlsOptions#verifyHostname()} false is honoured: grpc-netty switches on HTTPS endpoint
   * identification for an engine that has none, so each engine gets an empty algorithm instead,
   * which the JDK takes as "no hostname check". The chain is verified all the same.
   */
  static SslContext clientContext(TlsOptions tls) {
    SslContextBuilder builder = tls.newClientContextBuilder(); // names a missing or unreadable file
    SslContext context;
    try {
      context = GrpcSslContexts.configure(builder, SslProvider.JDK).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot build gRPC TLS client context: " + e.getMessage(), e);
    }
    return tls.verifyHostname() ? context : new WithoutHostnameVerification(context);
  }

  /** Sets an empty endpoint identification algorithm on every engine, before grpc-netty looks at it. */
  private static final class WithoutHostnameVerification extends DelegatingSslContext {
    WithoutHostnameVerification(SslContext context) {
      super(context);
    }

    @Override
    protected void initEngine(SSLEngine engine) {
      SSLParameters parameters = engine.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("");
      engine.setSSLParameters(parameters);
    }
  }

  /** A blocking stub with the credentials and the default deadline (a fresh deadline per call). */
  public ControlPlaneGrpc.ControlPlaneBlockingStub blocking() {
    ControlPlaneGrpc.ControlPlaneBlockingStub stub = ControlPlaneGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    return credentials == null ? stub : stub.withCallCredentials(credentials);
  }

  /** An async stub with the credentials and the default deadline. */
  public ControlPlaneGrpc.ControlPlaneStub async() {
    ControlPlaneGrpc.ControlPlaneStub stub = ControlPlaneGrpc.newStub(channel)
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    return credentials == null ? stub : stub.withCallCredentials(credentials);
  }

  /** A streaming stub with the credentials and no deadline (for StreamStatus). */
  public ControlPlaneGrpc.ControlPlaneStub streaming() {
    ControlPlaneGrpc.ControlPlaneStub stub = ControlPlaneGrpc.newStub(channel);
    return credentials == null ? stub : stub.withCallCredentials(credentials);
  }

  /** Applies {@code data} to {@code service} with a fresh request id (retries land once). */
  public ConfigResponse apply(String service, byte[] data) {
    return blocking().applyConfiguration(ConfigRequest.newBuilder()
        .setServiceName(service)
        .setConfigData(ByteString.copyFrom(data))
        .setRequestId(UUID.randomUUID().toString())
        .build());
  }

  /** The underlying channel (for stubs of other services, such as health). */
  public ManagedChannel channel() {
    return channel;
  }

  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      channel.shutdownNow();
    }
  }

  /** Sends {@code authorization: Bearer <token>}. */
  static final class BearerToken extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private final String token;

    BearerToken(String token) {
      this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      try {
        applier.apply(headers);
      } catch (RuntimeException e) {
        applier.fail(Status.UNAUTHENTICATED.withCause(e));
      }
    }

    @Override
    public String toString() {
      return "BearerToken{***}";
    }
  }
}
