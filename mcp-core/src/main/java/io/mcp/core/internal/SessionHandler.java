package io.mcp.core.internal;

import io.mcp.codec.Close;
import io.mcp.codec.CloseCode;
import io.mcp.codec.Command;
import io.mcp.codec.Envelope;
import io.mcp.codec.Heartbeat;
import io.mcp.codec.McpException;
import io.mcp.core.SessionClose;
import io.mcp.core.SessionState;
import io.mcp.core.spi.ExtensionCommandHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP/1 session protocol on one channel, shared by both ends: frame dispatch by state,
 * heartbeat (ping when write-idle, idle timeout when read-idle, RTT, flood limit) and the graceful
 * close (CLOSE, flush, half-close, drain, close).
 *
 * <p>All state is confined to the channel's event loop. Time is read from the event loop's {@link
 * Ticker}, so tests drive it with {@code EmbeddedChannel.advanceTimeBy}.
 */
abstract class SessionHandler extends ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(SessionHandler.class);

  final SessionConfig config;
  final NettySession session;
  final NettyFrameDecoder decoder;
  final ByteOrder order;
  ChannelHandlerContext ctx;
  private Ticker ticker;

  private long lastReadNanos;
  private long lastWriteNanos;
  private long intervalNanos;
  private long idleNanos;
  private ScheduledFuture<?> handshakeTimer;
  private ScheduledFuture<?> heartbeatTimer;
  private ScheduledFuture<?> drainTimer;
  private ScheduledFuture<?> writeDeadlineTimer;
  private long unwritableSinceNanos;

  private long pingWindowStartNanos;
  private int pingsInWindow;
  /** How many pings the current window allows: the limit, plus those a peer could have sent while this side was not reading. */
  private long pingsAllowed;
  private long pingSequence;
  private long outstandingPing;
  private long outstandingPingSentNanos;
  private boolean pingOutstanding;

  private boolean closeStarted;
  /** The session is writing the frames it held into the channel that just became writable. */
  private boolean refilling;

  SessionHandler(SessionConfig config, NettySession session, NettyFrameDecoder decoder) {
    this.config = config;
    this.session = session;
    this.decoder = decoder;
    this.order = config.codecOptions.byteOrder();
    session.handler = this;
  }

  /** The transport (TCP, and TLS if any) is ready for the MCP handshake. */
  abstract void onTransportReady();

  /** A HANDSHAKE frame arrived while HANDSHAKING. */
  abstract void onHandshake(ByteBuf payload);

  /** The handshake timeout fired before READY. */
  abstract String handshakeTimeoutReason();

  long now() {
    return ticker.nanoTime();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.ticker = ctx.executor().ticker();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    lastReadNanos = lastWriteNanos = now();
    handshakeTimer = ctx.executor().schedule(this::onHandshakeTimeout, config.handshakeTimeoutNanos, TimeUnit.NANOSECONDS);
    if (ctx.pipeline().get(SslHandler.class) == null) {
      transportReady();
    }
    super.channelActive(ctx);
  }

  private void transportReady() {
    if (session.state() != SessionState.CONNECTING) {
      return;
    }
    session.transition(SessionState.HANDSHAKING, null);
    onTransportReady();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SslHandshakeCompletionEvent) {
      SslHandshakeCompletionEvent done = (SslHandshakeCompletionEvent) evt;
      if (done.isSuccess()) {
        transportReady();
      } else {
        String reason = "TLS handshake failed: " + rootMessage(done.cause());
        log.info("connection from {}: {}", ctx.channel().remoteAddress(), reason);
        abort(reason);
      }
      return;
    }
    if (evt instanceof ChannelInputShutdownEvent) {
      // The peer half-closed (EOF). While draining after our CLOSE this is the clean end.
      if (!closeStarted) {
        abort(decoder.bufferedBytes() > 0
            ? "peer closed the connection mid-frame after " + decoder.bufferedBytes() + " bytes"
            : "peer closed the connection without CLOSE");
      } else {
        ctx.close();
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof DecodeFailure) {
      McpException error = ((DecodeFailure) msg).error;
      closeWith(error.closeCode(), error.getMessage());
      return;
    }
    InboundFrame frame = (InboundFrame) msg;
    config.telemetry.frameReceived(frame.command, io.mcp.codec.FrameEncoder.HEADER_BYTES + frame.payload.readableBytes());
    try {
      dispatch(frame); // liveness is recorded once per read, in channelReadComplete
    } catch (McpException e) {
      closeWith(e.closeCode(), e.getMessage());
    } catch (RuntimeException e) {
      log.warn("session {}: failure handling {}", session.logId(), frame, e);
      closeWith(CloseCode.INTERNAL_ERROR, "internal error handling " + frame.command);
    } finally {
      frame.release();
    }
  }

  /**
   * Fires after every socket read, even one that completed no frame: any bytes received prove the
   * peer alive, so a large frame arriving slowly never looks idle.
   */
  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    lastReadNanos = now();
    ctx.fireChannelReadComplete();
  }

  private void dispatch(InboundFrame frame) {
    SessionState state = session.state();
    if (state.isTerminating()) {
      return; // draining after a CLOSE; nothing more is processed
    }
    Command command = frame.command;
    if (command == Command.CLOSE) {
      onCloseFrame(frame.payload);
      return;
    }
    if (state != SessionState.READY) {
      if (command == Command.HANDSHAKE && state == SessionState.HANDSHAKING) {
        onHandshake(frame.payload);
        return;
      }
      throw new McpException(CloseCode.PROTOCOL_ERROR, command + " before the handshake completed");
    }
    if (command == Command.DATA) {
      session.messaging.onEnvelope(Envelope.decode(frame.payload.nioBuffer()), frame.payload);
    } else if (command == Command.HEARTBEAT) {
      onHeartbeat(frame.payload);
    } else if (command == Command.HANDSHAKE) {
      throw new McpException(CloseCode.PROTOCOL_ERROR, "second HANDSHAKE on a READY session");
    } else {
      ExtensionCommandHandler handler = config.extensions.handler(command.code());
      if (handler == null) {
        throw new McpException(CloseCode.PROTOCOL_ERROR, "extension command " + command + " is not registered");
      }
      handler.onFrame(session, frame.payload.nioBuffer());
    }
  }

  private void onCloseFrame(ByteBuf payload) {
    Close close;
    try {
      close = Close.decode(payload.nioBuffer());
    } catch (McpException e) {
      close = Close.of(CloseCode.PROTOCOL_ERROR, "malformed CLOSE from peer: " + e.getMessage());
    }
    closeStarted = true;
    cancelTimers();
    decoder.discardFurther();
    session.transition(SessionState.CLOSING, SessionClose.remote(close.code(), close.reason()));
    ctx.close();
  }

  private void onHeartbeat(ByteBuf payload) {
    Heartbeat heartbeat = Heartbeat.decode(payload.nioBuffer());
    long now = now();
    if (heartbeat.kind() == Heartbeat.Kind.PONG) {
      if (pingOutstanding && heartbeat.opaque() == outstandingPing) {
        pingOutstanding = false;
        session.recordRtt(now - outstandingPingSentNanos);
        config.telemetry.heartbeatRtt(session, now - outstandingPingSentNanos);
      }
      return;
    }
    if (now - pingWindowStartNanos >= intervalNanos) {
      pingWindowStartNanos = now;
      pingsInWindow = 0;
      // lastReadNanos is the end of the previous read: pings a well-behaved peer wrote while this side
      // was not reading (a stalled event loop, a paused JVM) arrive together now, one per interval of
      // that gap. A peer can gain this slack only by staying silent, which the idle timeout bounds.
      pingsAllowed = config.maxPingsPerInterval + Math.max(0, now - lastReadNanos) / intervalNanos;
    }
    if (++pingsInWindow > pingsAllowed) {
      throw new McpException(CloseCode.TOO_MANY_PINGS, pingsInWindow + " pings within one heartbeat interval of "
          + TimeUnit.NANOSECONDS.toMillis(intervalNanos) + " ms exceed max " + pingsAllowed
          + (pingsAllowed == config.maxPingsPerInterval ? ""
              : " (" + config.maxPingsPerInterval + " plus one per interval this side was not reading)"));
    }
    if (heartbeat.kind() == Heartbeat.Kind.PING) {
      // Answered at once, straight to the channel: application frames beyond the channel's high
      // water mark wait in the session's queue, so the pong follows one high water mark at most.
      writeFrame(Command.HEARTBEAT, heartbeat.toPong().encodePayload());
    }
  }

  /** READY: start heartbeats with the agreed interval. */
  void startHeartbeat(long intervalNanos) {
    this.intervalNanos = intervalNanos;
    this.idleNanos = config.idleTimeoutNanos(intervalNanos);
    long now = now();
    lastReadNanos = now;
    lastWriteNanos = now;
    pingWindowStartNanos = now;
    pingsAllowed = config.maxPingsPerInterval;
    if (handshakeTimer != null) {
      handshakeTimer.cancel(false);
      handshakeTimer = null; // a cancelled task still holds memory while referenced
    }
    scheduleHeartbeat(Math.min(intervalNanos, idleNanos));
  }

  private void scheduleHeartbeat(long delayNanos) {
    heartbeatTimer = ctx.executor().schedule(this::heartbeatTick, Math.max(delayNanos, 1), TimeUnit.NANOSECONDS);
  }

  private void heartbeatTick() {
    if (session.state() != SessionState.READY) {
      return;
    }
    long now = now();
    long sinceRead = now - lastReadNanos;
    if (sinceRead >= idleNanos) {
      closeWith(CloseCode.IDLE_TIMEOUT, "nothing read for " + TimeUnit.NANOSECONDS.toMillis(sinceRead)
          + " ms (idle timeout " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms)");
      return;
    }
    long sinceWrite = now - lastWriteNanos;
    if (sinceWrite >= intervalNanos) {
      sendPing(now);
      sinceWrite = 0;
    }
    scheduleHeartbeat(Math.min(intervalNanos - sinceWrite, idleNanos - sinceRead));
  }

  private void sendPing(long now) {
    long opaque = ++pingSequence;
    if (!pingOutstanding) {
      // Time the oldest unanswered ping: replacing it with each new one would leave a session whose
      // round trip exceeds the interval without any sample.
      outstandingPing = opaque;
      outstandingPingSentNanos = now;
      pingOutstanding = true;
    }
    writeFrame(Command.HEARTBEAT, Heartbeat.ping(opaque).encodePayload());
  }

  /**
   * Writes and flushes a frame of this handler's own (handshake, heartbeat, CLOSE) straight to the
   * channel, ahead of the application frames the session still holds.
   */
  ChannelFuture writeFrame(Command command, byte[] payload) {
    return ctx.writeAndFlush(ownFrame(command, payload));
  }

  /**
   * Encodes a frame this handler writes itself through its own context (handshake, heartbeat,
   * CLOSE): such writes start below this handler and bypass {@link #write}, so they are counted here.
   */
  ByteBuf ownFrame(Command command, byte[] payload) {
    ByteBuf frame = Frames.encode(ctx.alloc(), order, command, payload);
    config.telemetry.frameSent(frame.readableBytes());
    return frame;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    lastWriteNanos = now();
    if (msg instanceof ByteBuf) {
      config.telemetry.frameSent(((ByteBuf) msg).readableBytes());
    }
    ctx.write(msg, promise);
  }

  /**
   * The socket's outbound buffer crossed a water mark. Writable again: the application frames the
   * session held back go out first, and if they fill the channel again, nothing changed for
   * producers or for the write deadline. Unwritable for the whole write deadline means the peer is
   * not reading: it is closed with SLOW_CONSUMER.
   */
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (refilling) {
      return; // the refill below crossed the high water mark again: handled once it returns
    }
    boolean writable = ctx.channel().isWritable();
    if (writable && session.holdsWrites()) {
      refilling = true;
      try {
        session.drainWrites();
      } finally {
        refilling = false;
      }
      if (!ctx.channel().isWritable()) {
        return; // full again at once: the channel never had room for producers
      }
    }
    if (!writable) {
      unwritableSinceNanos = now();
      // One pending check at most, however often writability flaps: it re-arms itself.
      if (writeDeadlineTimer == null && !closeStarted) {
        writeDeadlineTimer = ctx.executor().schedule(this::onWriteDeadline, config.writeDeadlineNanos,
            TimeUnit.NANOSECONDS);
      }
    }
    session.fireWritabilityChanged(writable);
    super.channelWritabilityChanged(ctx);
  }

  private void onWriteDeadline() {
    writeDeadlineTimer = null;
    if (closeStarted || ctx.channel().isWritable()) {
      return;
    }
    long unwritableFor = now() - unwritableSinceNanos;
    if (unwritableFor < config.writeDeadlineNanos) {
      // It was writable for a while since this check was armed: wait for the rest of the deadline.
      writeDeadlineTimer = ctx.executor().schedule(this::onWriteDeadline,
          config.writeDeadlineNanos - unwritableFor, TimeUnit.NANOSECONDS);
      return;
    }
    closeWith(CloseCode.SLOW_CONSUMER, "peer read too little for "
        + TimeUnit.NANOSECONDS.toMillis(config.writeDeadlineNanos) + " ms (write deadline); "
        + session.queuedBytes() + " bytes queued");
  }

  private void onHandshakeTimeout() {
    SessionState state = session.state();
    if (state == SessionState.CONNECTING || state == SessionState.HANDSHAKING) {
      closeWith(CloseCode.HANDSHAKE_TIMEOUT, handshakeTimeoutReason());
    }
  }

  /**
   * Ends the session from this side: CLOSE is written and flushed, output is half-closed, input is
   * drained until the peer's EOF or the drain timeout, then the channel closes. A bare close would
   * let TCP answer unread input with RST, which can destroy the CLOSE before the peer reads it.
   */
  void closeWith(CloseCode code, String reason) {
    if (closeStarted || ctx == null) {
      return;
    }
    closeStarted = true;
    cancelTimers();
    decoder.discardFurther();
    if (session.state() == SessionState.CONNECTING) {
      // The TLS handshake has not finished: no frame can be carried, and finishing the handshake
      // only to say goodbye would spend the very resources a limit protects.
      session.transition(SessionState.CLOSED, SessionClose.local(code, reason));
      ctx.close();
      return;
    }
    if (!session.transition(SessionState.CLOSING, SessionClose.local(code, reason))) {
      ctx.close();
      return;
    }
    // Nothing follows CLOSE: frames the session still holds fail instead of being written.
    session.drainWrites();
    if (code != CloseCode.NORMAL && code != CloseCode.GOING_AWAY) {
      log.info("session {} ({}): closing with {} {}", session.logId(), ctx.channel().remoteAddress(), code, reason);
    }
    if (!ctx.channel().isActive()) {
      ctx.close();
      return;
    }
    drainTimer = ctx.executor().schedule(() -> {
      ctx.close();
    }, config.closeDrainNanos, TimeUnit.NANOSECONDS);
    writeFrame(Command.CLOSE, Close.of(code, reason).encodePayload()).addListener(f -> {
      if (f.isSuccess() && ctx.channel() instanceof DuplexChannel && ctx.channel().isActive()) {
        ((DuplexChannel) ctx.channel()).shutdownOutput();
      } else if (!f.isSuccess()) {
        ctx.close();
      }
    });
  }

  /** Ends the session without a CLOSE frame: the transport failed or the peer vanished. */
  void abort(String reason) {
    closeStarted = true;
    cancelTimers();
    decoder.discardFurther();
    session.transition(SessionState.CLOSED, SessionClose.transport(reason));
    ctx.close();
  }

  private void cancelTimers() {
    if (handshakeTimer != null) {
      handshakeTimer.cancel(false);
    }
    if (heartbeatTimer != null) {
      heartbeatTimer.cancel(false);
    }
    if (writeDeadlineTimer != null) {
      writeDeadlineTimer.cancel(false);
      writeDeadlineTimer = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelTimers();
    if (drainTimer != null) {
      drainTimer.cancel(false);
    }
    session.transition(SessionState.CLOSED, SessionClose.transport(
        decoder.bufferedBytes() > 0
            ? "connection lost mid-frame after " + decoder.bufferedBytes() + " bytes"
            : "connection closed by peer without CLOSE"));
    session.drainWrites(); // frames held for a channel that will never be writable again fail
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    McpException mcp = findMcpException(cause);
    if (mcp != null) {
      closeWith(mcp.closeCode(), mcp.getMessage());
    } else if (cause instanceof IOException || cause.getCause() instanceof IOException) {
      log.debug("session {}: transport error", session.logId(), cause);
      abort("transport error: " + rootMessage(cause));
    } else if (closeStarted) {
      log.debug("session {}: error while closing", session.logId(), cause);
      ctx.close();
    } else if (session.state() == SessionState.CONNECTING && ctx.pipeline().get(SslHandler.class) != null) {
      abort("TLS error: " + rootMessage(cause));
    } else {
      log.warn("session {}: unexpected error", session.logId(), cause);
      closeWith(CloseCode.INTERNAL_ERROR, "internal error");
    }
  }

  private static McpException findMcpException(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof McpException) {
        return (McpException) c;
      }
    }
    return null;
  }

  static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    // Certificate failures say little on their own ("NotAfter: ..."): name the kind of failure.
    return root instanceof java.security.cert.CertificateException && root.getMessage() != null
        ? root.getClass().getSimpleName() + ": " + message
        : message;
  }
}
