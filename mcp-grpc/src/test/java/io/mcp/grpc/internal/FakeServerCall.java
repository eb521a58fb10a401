package io.mcp.grpc.internal;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * A server call under test control, modelling gRPC flow control with credit: the call is ready
 * while it has credit, and every message written takes one. {@link #grant} adds credit and runs the
 * on-ready handler, as grpc does when the transport drains.
 */
final class FakeServerCall<T> extends ServerCallStreamObserver<T> {
  final List<T> written = new ArrayList<>();
  Throwable error;
  boolean completed;
  private int credit;
  private Runnable onReady = () -> {};
  private Runnable onCancel = () -> {};

  FakeServerCall(int credit) {
    this.credit = credit;
  }

  /** Lets the call take {@code messages} more, then tells the writer it is ready. */
  void grant(int messages) {
    credit += messages;
    onReady.run();
  }

  /** The reader cancels the call. */
  void cancel() {
    onCancel.run();
  }

  @Override
  public boolean isReady() {
    return credit > 0 && error == null && !completed;
  }

  @Override
  public void onNext(T value) {
    if (error != null || completed) {
      throw new IllegalStateException("call already closed");
    }
    written.add(value);
    credit = Math.max(0, credit - 1);
  }

  @Override
  public void onError(Throwable t) {
    if (error != null || completed) {
      throw new IllegalStateException("call already closed");
    }
    error = t;
  }

  @Override
  public void onCompleted() {
    completed = true;
  }

  @Override
  public void setOnReadyHandler(Runnable handler) {
    onReady = handler;
  }

  @Override
  public void setOnCancelHandler(Runnable handler) {
    onCancel = handler;
  }

  @Override
  public boolean isCancelled() {
    return false;
  }

  @Override
  public void setCompression(String compression) {}

  @Override
  public void disableAutoInboundFlowControl() {}

  @Override
  public void request(int count) {}

  @Override
  public void setMessageCompression(boolean enable) {}
}
