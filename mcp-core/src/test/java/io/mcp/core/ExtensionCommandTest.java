package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.codec.CloseCode;
import io.mcp.codec.Command;
import io.mcp.codec.Frame;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.spi.ExtensionCommandHandler;
import io.mcp.core.spi.ExtensionCommandProvider;
import io.mcp.core.spi.ExtensionRegistry;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Extension commands 0x80..0xFF: registration, conflicts, ServiceLoader discovery, dispatch. */
class ExtensionCommandTest {
  /** Found through META-INF/services in the test resources: answers 0xFE frames with 0xFE frames. */
  public static final class ServiceLoadedProvider implements ExtensionCommandProvider {
    @Override
    public String name() {
      return "service-loaded-echo";
    }

    @Override
    public List<ExtensionCommandHandler> handlers() {
      return List.of(handler(0xFE));
    }
  }

  static ExtensionCommandHandler handler(int code) {
    return new ExtensionCommandHandler() {
      @Override
      public int command() {
        return code;
      }

      @Override
      public void onFrame(Session session, ByteBuffer payload) {
        session.sendExtension(code, payload);
      }
    };
  }

  static ExtensionCommandProvider provider(String name, int... codes) {
    return new ExtensionCommandProvider() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<ExtensionCommandHandler> handlers() {
        return java.util.Arrays.stream(codes).mapToObj(ExtensionCommandTest::handler).toList();
      }
    };
  }

  static ServerOptions.Builder options() {
    return ServerOptions.builder().host("127.0.0.1").authenticator(Authenticators.allowAll());
  }

  @Test
  void twoProvidersClaimingOneCommand_failAtStartNamingBoth() {
    assertThatThrownBy(() -> McpServer.create(options()
            .addExtensionProvider(provider("first-plugin", 0x90))
            .addExtensionProvider(provider("second-plugin", 0x91, 0x90))
            .build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("extension command 0x90 claimed by both first-plugin and second-plugin");
  }

  @Test
  void builderProviderClaimingAServiceLoadedCommand_failsNamingBoth() {
    assertThatThrownBy(() -> McpServer.create(options().addExtensionProvider(provider("mine", 0xFE)).build()))
        .hasMessage("extension command 0xFE claimed by both mine and service-loaded-echo");
  }

  @Test
  void handlerOutsideTheExtensionRange_rejected() {
    assertThatThrownBy(() -> ExtensionRegistry.of(List.of(provider("bad", 0x04))))
        .hasMessage("extension provider bad claims command 0x04 outside 0x80..0xFF");
  }

  @Test
  void serviceLoadedProvider_isFoundByDefault() {
    assertThat(ExtensionRegistry.loadProviders()).extracting(ExtensionCommandProvider::name)
        .contains("service-loaded-echo");
  }

  @Test
  void registeredExtension_dispatchedOnReadySessions() throws Exception {
    McpServer server = McpServer.create(options().addExtensionProvider(provider("echo-90", 0x90)).build()).start();
    try (RawPeer peer = new RawPeer(new InetSocketAddress("127.0.0.1", server.port()))) {
      peer.handshake(RawPeer.hello("ext-user").build());
      peer.send(Command.extension(0x90), new byte[] {7, 7});
      peer.send(Command.extension(0xFE), new byte[] {8});

      assertThat(peer.read()).isEqualTo(Frame.of(Command.extension(0x90), new byte[] {7, 7}));
      assertThat(peer.read()).isEqualTo(Frame.of(Command.extension(0xFE), new byte[] {8}));
    } finally {
      server.shutdown(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void registeredExtensionBeforeHandshake_protocolError() throws Exception {
    McpServer server = McpServer.create(options().addExtensionProvider(provider("echo-90", 0x90)).build()).start();
    try (RawPeer peer = new RawPeer(new InetSocketAddress("127.0.0.1", server.port()))) {
      peer.send(Command.extension(0x90), new byte[] {1});

      assertThat(peer.expectClose().code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
    } finally {
      server.shutdown(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void clientWithExtension_exchangesExtensionFrames() throws Exception {
    McpServer server = McpServer.create(options().addExtensionProvider(provider("echo-90", 0x90)).build()).start();
    java.util.concurrent.LinkedBlockingQueue<byte[]> received = new java.util.concurrent.LinkedBlockingQueue<>();
    ExtensionCommandProvider clientSide = new ExtensionCommandProvider() {
      @Override
      public List<ExtensionCommandHandler> handlers() {
        return List.of(new ExtensionCommandHandler() {
          @Override
          public int command() {
            return 0x90;
          }

          @Override
          public void onFrame(Session session, ByteBuffer payload) {
            byte[] copy = new byte[payload.remaining()];
            payload.get(copy);
            received.add(copy);
          }
        });
      }
    };
    try (McpClient client = McpClient.create(ClientOptions.builder("c").addExtensionProvider(clientSide).build())) {
      Session session = client.connect(new InetSocketAddress("127.0.0.1", server.port())).get(10, TimeUnit.SECONDS);
      session.sendExtension(0x90, ByteBuffer.wrap(new byte[] {42})).get(10, TimeUnit.SECONDS);

      assertThat(received.poll(10, TimeUnit.SECONDS)).containsExactly(42);
      assertThatThrownBy(() -> session.sendExtension(0x04, ByteBuffer.allocate(0)))
          .isInstanceOf(IllegalArgumentException.class);
    } finally {
      server.shutdown(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
    }
  }
}
