package io.mcp.grpc.gateway;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Reads an SSE response with the JDK HTTP client; events are taken with a bounded wait. */
final class SseClient implements AutoCloseable {
  record Event(String type, String id, String data) {
    String seqOf() {
      return id.substring(id.lastIndexOf('.') + 1);
    }

    String stream() {
      return id.substring(0, id.lastIndexOf('.'));
    }
  }

  final HttpResponse<Stream<String>> response;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Thread reader;

  SseClient(HttpClient http, String url, String token, String lastEventId) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
    reader = new Thread(() -> {
      String type = "";
      String id = "";
      List<String> data = new ArrayList<>();
      try {
        for (var it = response.body().iterator(); it.hasNext(); ) {
          String line = it.next();
          if (line.isEmpty()) {
            if (!data.isEmpty() || !type.isEmpty()) {
              events.add(new Event(type.isEmpty() ? "message" : type, id, String.join("\n", data)));
            }
            type = "";
            id = "";
            data = new ArrayList<>();
          } else if (line.startsWith("data: ")) {
            data.add(line.substring(6));
          } else if (line.startsWith("id: ")) {
            id = line.substring(4);
          } else if (line.startsWith("event: ")) {
            type = line.substring(7);
          }
        }
      } catch (RuntimeException e) {
        // closed
      }
    }, "sse-reader");
    reader.setDaemon(true);
    if (response.statusCode() == 200) {
      reader.start();
    }
  }

  /** The next event within 10 s; fails otherwise. */
  Event next() throws InterruptedException {
    Event event = events.poll(10, TimeUnit.SECONDS);
    if (event == null) {
      throw new AssertionError("no SSE event within 10 s");
    }
    return event;
  }

  /** Events until one whose data contains {@code text} (at most 100 events, each within 10 s). */
  Event until(String text) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      Event event = next();
      if (event.data().contains(text)) {
        return event;
      }
    }
    throw new AssertionError("no event containing " + text + " among 100");
  }

  @Override
  public void close() {
    response.body().close();
  }

  static Duration timeout() {
    return Duration.ofSeconds(10);
  }
}
