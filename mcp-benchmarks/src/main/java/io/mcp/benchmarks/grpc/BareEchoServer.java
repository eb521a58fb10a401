package io.mcp.benchmarks.grpc;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The baseline: plain grpc-java, a unary {@code bench.Echo/Echo} that answers with the request's
 * bytes, defined without protoc through a {@code byte[]} marshaller. The server is {@code
 * NettyServerBuilder} with its defaults (gRPC's shared event loops and default executor),
 * plaintext, on 127.0.0.1; the client a plain plaintext {@code NettyChannelBuilder} channel, no
 * deadline, no retries, no credentials. Thread-safe.
 */
final class BareEchoServer implements UnaryTarget {
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.newBuilder(BYTES, BYTES)
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("bench.Echo/Echo")
      .build();

  private final Server server;
  private final ManagedChannel channel;
  private final byte[] message;

  private BareEchoServer(byte[] message) {
    this.message = message;
    ServerServiceDefinition echo = ServerServiceDefinition.builder("bench.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((byte[] request, StreamObserver<byte[]> response) -> {
          response.onNext(request);
          response.onCompleted();
        }))
        .build();
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(echo).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the bare echo server", e);
    }
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  /** Starts the server and connects the client; every call sends {@code message}. */
  static BareEchoServer start(byte[] message) {
    return new BareEchoServer(message);
  }

  @Override
  public String label() {
    return "bare grpc-java echo";
  }

  @Override
  public void startAsync(Consumer<Throwable> done) {
    ClientCalls.asyncUnaryCall(channel.newCall(ECHO, CallOptions.DEFAULT), message, new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {}

      @Override
      public void onError(Throwable t) {
        done.accept(t);
      }

      @Override
      public void onCompleted() {
        done.accept(null);
      }
    });
  }

  @Override
  public void callBlocking() {
    ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, message);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
