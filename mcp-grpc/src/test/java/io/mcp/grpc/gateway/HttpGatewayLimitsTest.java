package io.mcp.grpc.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Limits, keep-alive and pipelining, driven by raw requests over a plain socket (as curl would send them). */
class HttpGatewayLimitsTest {
  GatewayFixture fixture;

  @BeforeEach
  void start() {
    fixture = new GatewayFixture(b -> b.maxBodyBytes(1024).requestTimeout(Duration.ofMillis(300)));
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  RawHttp connect() throws Exception {
    return new RawHttp(fixture.gateway.port());
  }

  static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer admin-token\r\n\r\n";
  }

  @Test
  void keepAlive_oneConnectionServesManyRequests() throws Exception {
    try (RawHttp raw = connect()) {
      for (int i = 0; i < 3; i++) {
        RawHttp.Response response = raw.write(get("/v1/nodes")).read();
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("connection")).isEqualTo("keep-alive");
        assertThat(response.body()).contains("\"nodes\"");
      }
      // an error that does not poison the connection keeps it too
      assertThat(raw.write(get("/v1/nope")).read().status()).isEqualTo(404);
      assertThat(raw.write(get("/v1/nodes")).read().status()).isEqualTo(200);
    }
  }

  @Test
  void pipelinedRequests_answeredInOrder() throws Exception {
    try (RawHttp raw = connect()) {
      raw.write(get("/v1/nope") + get("/v1/nodes") + get("/v1/services/x/config"));
      assertThat(raw.read().status()).isEqualTo(404);
      assertThat(raw.read().status()).isEqualTo(200);
      assertThat(raw.read().status()).isEqualTo(404); // no configuration for x: NOT_FOUND from the service
    }
  }

  @Test
  void contentLengthOverMax_413WithoutReadingTheBody_andClose() throws Exception {
    try (RawHttp raw = connect()) {
      raw.write("PUT /v1/services/payments/config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token\r\n"
          + "Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n");
      RawHttp.Response response = raw.read();
      assertThat(response.status()).isEqualTo(413);
      assertThat(response.header("connection")).isEqualTo("close");
      assertThat(response.body()).isEqualTo("{\"code\":\"RESOURCE_EXHAUSTED\",\"message\":"
          + "\"request body of 5000000 bytes exceeds max 1024\"}");
      assertThat(raw.closedByServer()).isTrue();
    }
    assertThat(fixture.controller.history("payments", 10)).isEmpty();
  }

  @Test
  void chunkedBodyOverMax_413AndClose() throws Exception {
    try (RawHttp raw = connect()) {
      raw.write("PUT /v1/services/payments/config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token\r\n"
          + "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
      String chunk = "a".repeat(600);
      raw.write(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
      raw.write(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
      RawHttp.Response response = raw.read();
      assertThat(response.status()).isEqualTo(413);
      assertThat(response.body()).contains("request body exceeds max 1024 bytes");
      assertThat(raw.closedByServer()).isTrue();
    }
    assertThat(fixture.controller.history("payments", 10)).isEmpty();
  }

  @Test
  void chunkedBodyWithinMax_accepted() throws Exception {
    try (RawHttp raw = connect()) {
      raw.write("PUT /v1/services/payments/config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token\r\n"
          + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
      RawHttp.Response response = raw.read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).contains("\"version\": \"1\"");
    }
    assertThat(java.nio.charset.StandardCharsets.UTF_8.decode(fixture.controller.config("payments").orElseThrow()
        .data()).toString()).isEqualTo("hello world");
  }

  @Test
  void headersOverMax_431AndClose() throws Exception {
    try (RawHttp raw = connect()) {
      raw.write("GET /v1/nodes HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n");
      RawHttp.Response response = raw.read();
      assertThat(response.status()).isEqualTo(431);
      assertThat(response.body()).contains("request headers exceed max 8192 bytes");
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  @Test
  void requestLineOverMax_414AndClose() throws Exception {
    try (RawHttp raw = connect()) {
      raw.write("GET /v1/nodes?x=" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Response response = raw.read();
      assertThat(response.status()).isEqualTo(414);
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  @Test
  void incompleteRequest_408AfterTheRequestTimeout_andClose() throws Exception {
    try (RawHttp raw = connect()) {
      raw.write("PUT /v1/services/payments/config HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
      RawHttp.Response response = raw.read(); // the socket read is bounded (10 s); the server's timeout is 300 ms
      assertThat(response.status()).isEqualTo(408);
      assertThat(response.body()).isEqualTo("{\"code\":\"REQUEST_TIMEOUT\",\"message\":"
          + "\"request not received in full within 300 ms\"}");
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  @Test
  void trickledHeaders_408Too() throws Exception {
    try (RawHttp raw = connect()) {
      raw.write("GET /v1/nodes HTTP/1.1\r\nHost: x\r\n");
      assertThat(raw.read().status()).isEqualTo(408);
    }
  }

  @Test
  void malformedRequest_400AndClose() throws Exception {
    try (RawHttp raw = connect()) {
      raw.write("GET /v1/nodes HTTP/1.1\r\nContent-Length: lots\r\n\r\n");
      RawHttp.Response response = raw.read();
      assertThat(response.status()).isEqualTo(400);
      assertThat(response.header("content-type")).isEqualTo("application/json; charset=utf-8");
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  @Test
  void rawCurlStyle_everyEndpoint() throws Exception {
    try (RawHttp raw = connect()) {
      String body = "{\"configData\":\"eA==\"}";
      raw.write("PUT /v1/services/payments/config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
      assertThat(raw.read().body()).contains("\"version\": \"1\"");
      assertThat(raw.write(get("/v1/services/payments/config")).read().body()).contains("\"configData\": \"eA==\"");
      assertThat(raw.write(get("/v1/services/payments/config?version=1")).read().status()).isEqualTo(200);
      assertThat(raw.write(get("/v1/services/payments/versions")).read().body()).contains("\"version\": \"1\"");
      String rollback = "{\"toVersion\":1}";
      raw.write("POST /v1/services/payments/rollback HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + rollback.length() + "\r\n\r\n" + rollback);
      assertThat(raw.read().body()).contains("\"version\": \"2\"");
      assertThat(raw.write(get("/v1/nodes?service_name=payments")).read().status()).isEqualTo(200);
      RawHttp.Response noAuth = raw.write("GET /v1/nodes HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(noAuth.status()).isEqualTo(401);
      RawHttp.Response options = raw.write("OPTIONS /v1/nodes HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(options.status()).isEqualTo(405);
      assertThat(options.header("allow")).isEqualTo("GET");
    }
  }
}
