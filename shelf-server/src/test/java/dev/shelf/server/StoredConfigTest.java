package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.gateway.config.StoredConfig;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Providers and models added through {@code /admin/v1}: stored with the API key sealed, laid over
 * shelf.yaml at once, validated before they are stored, and never shown back in the clear.
 */
class StoredConfigTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static final String SECRET = "sk-upstream-very-secret-9876543210";
  static StubUpstream stub;
  static ShelfHarness shelf;

  @BeforeAll
  static void start() {
    stub = StubUpstream.start();
    stub.handler(
        r ->
            ChatStream.of("up-x")
                .role()
                .content("stored!")
                .finish("stop")
                .usage(3, 2)
                .done()
                .response());
    shelf =
        ShelfHarness.withStoredConfig(
            """
            server: {port: 0, shutdown_grace: 1s, access_log: false}
            auth: {master_key: %s}
            """
                .formatted(MASTER));
  }

  @AfterAll
  static void stop() {
    shelf.close();
    stub.close();
  }

  ShelfHarness.Raw put(String path, String body) {
    return shelf.put(path, body, "authorization", "Bearer " + MASTER);
  }

  @Test
  void aStoredProviderAndModelServeAtOnceWithTheKeySealed() {
    var p =
        put(
            "/admin/v1/providers/vendor2",
            "{\"type\": \"openai\", \"base_url\": \"%s\", \"api_key\": \"%s\"}"
                .formatted(stub.baseUrl(), SECRET));
    assertThat(p.status()).as(p.body()).isEqualTo(201);
    assertThat(p.body()).doesNotContain(SECRET);
    var m =
        put(
            "/admin/v1/models/acme/stored-model",
            "{\"provider\": \"vendor2\", \"upstream\": \"up-x\"}");
    assertThat(m.status()).as(m.body()).isEqualTo(201);

    var answer =
        shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"acme/stored-model\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "authorization",
            "Bearer " + MASTER);
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    assertThat(answer.json().at("/choices/0/message/content").asText()).isEqualTo("stored!");
    assertThat(stub.requests().getLast().header("authorization")).isEqualTo("Bearer " + SECRET);

    JsonNode listed = shelf.get("/admin/v1/providers", "authorization", "Bearer " + MASTER).json();
    assertThat(listed.at("/data/0/api_key").asText()).isEqualTo("(set, encrypted)");
    assertThat(listed.toString()).doesNotContain(SECRET);
    StoredConfig stored = java.util.Objects.requireNonNull(shelf.accounts().config());
    for (StoredConfig.Entry e : stored.entries()) {
      assertThat(e.body().toString()).doesNotContain(SECRET);
      if (e.secret() != null) {
        assertThat(e.secret()).doesNotContain(SECRET).doesNotContain("very-secret");
      }
    }
    assertThat(shelf.get("/admin/v1/audit", "authorization", "Bearer " + MASTER).body())
        .contains("provider.put")
        .doesNotContain(SECRET);

    // updating without api_key keeps the sealed key
    assertThat(
            put(
                    "/admin/v1/providers/vendor2",
                    "{\"type\": \"openai\", \"base_url\": \"%s\"}".formatted(stub.baseUrl()))
                .status())
        .isEqualTo(200);
    shelf.post(
        "/v1/chat/completions",
        "{\"model\": \"acme/stored-model\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
        "authorization",
        "Bearer " + MASTER);
    assertThat(stub.requests().getLast().header("authorization")).isEqualTo("Bearer " + SECRET);
  }

  @Test
  void anInvalidChangeIsRefusedAndNothingIsStored() {
    var bad = put("/admin/v1/models/orphan", "{\"provider\": \"nowhere\", \"upstream\": \"x\"}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().at("/error/code").asText()).isEqualTo("invalid_config");
    assertThat(bad.json().at("/error/message").asText()).contains("nowhere");
    var typo =
        put("/admin/v1/providers/typo", "{\"type\": \"openai\", \"base_urll\": \"http://x\"}");
    assertThat(typo.status()).isEqualTo(400);
    assertThat(typo.json().at("/error/message").asText()).contains("base_urll");
    List<String> names = new ArrayList<>();
    java.util.Objects.requireNonNull(shelf.accounts().config())
        .entries()
        .forEach(e -> names.add(e.name()));
    assertThat(names).doesNotContain("orphan", "typo");
  }

  @Test
  void aProviderInUseCannotBeDeleted() {
    put(
        "/admin/v1/providers/inuse",
        "{\"type\": \"openai\", \"base_url\": \"%s\", \"api_key\": \"k\"}"
            .formatted(stub.baseUrl()));
    put("/admin/v1/models/uses-it", "{\"provider\": \"inuse\", \"upstream\": \"up-x\"}");
    var refused = shelf.delete("/admin/v1/providers/inuse", "authorization", "Bearer " + MASTER);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(
            shelf.delete("/admin/v1/models/uses-it", "authorization", "Bearer " + MASTER).status())
        .isEqualTo(200);
    assertThat(
            shelf.delete("/admin/v1/providers/inuse", "authorization", "Bearer " + MASTER).status())
        .isEqualTo(200);
    assertThat(shelf.get("/v1/models/uses-it", "authorization", "Bearer " + MASTER).status())
        .isEqualTo(404);
  }

  @Test
  void onlyTheMasterKeyChangesProviders() {
    var r =
        shelf.put(
            "/admin/v1/providers/x",
            "{\"type\": \"openai\"}",
            "authorization",
            "Bearer nope-nope-nope-nope");
    assertThat(r.status()).isEqualTo(401);
  }
}
