package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.chat.completions.ChatCompletion;
import org.junit.jupiter.api.Test;

/**
 * {@code preload: true} on local models: the file is loaded and warmed up while the server starts,
 * readiness reports what is still loading and what failed, and the model answers as usual.
 */
class LocalPreloadTest {
  @Test
  void readinessWaitsForPreloadsAndNamesTheOneThatFailed() throws Exception {
    try (ShelfHarness shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            providers:
              local: {type: local, options: {dir: "%s", threads: 2}}
            models:
              - {id: stories, provider: local, upstream: stories260K.gguf, preload: true}
              - {id: gone, provider: local, upstream: gone.gguf, preload: true}
            """
                .formatted(LocalModelTest.modelDir()))) {
      ShelfHarness.Raw ready = shelf.get("/health/ready");
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (ready.status() != 200 && System.nanoTime() < deadline) {
        assertThat(ready.status()).isEqualTo(503);
        assertThat(ready.json().at("/status").asText()).isEqualTo("DOWN");
        assertThat(ready.json().at("/preloading").isArray()).as(ready.body()).isTrue();
        Thread.sleep(20);
        ready = shelf.get("/health/ready");
      }
      JsonNode body = ready.json();
      assertThat(ready.status()).as(ready.body()).isEqualTo(200);
      assertThat(body.has("preloading")).isFalse();
      assertThat(body.has("pending_preloads")).isFalse();
      assertThat(body.at("/failed_preloads").asInt()).as(ready.body()).isEqualTo(1);
      assertThat(body.at("/preload_failed").size()).as(ready.body()).isEqualTo(1);
      assertThat(body.at("/preload_failed/local~1gone.gguf").asText())
          .contains("local model file not found")
          .contains("gone.gguf");
      assertThat(shelf.get("/health/live").status()).isEqualTo(200);

      ChatCompletion c =
          shelf.sdk("none").chat().completions().create(LocalModelTest.ask().build());
      assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(20);
    }
  }

  @Test
  void withKeysThePublicHealthGivesCountsAndTheMasterKeyGetsTheNames() throws Exception {
    String master = LocalModelTest.MASTER;
    try (ShelfHarness shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            auth: {master_key: %s}
            providers:
              local: {type: local, options: {dir: "%s", threads: 2}}
            models:
              - {id: stories, provider: local, upstream: stories260K.gguf, preload: true}
              - {id: gone, provider: local, upstream: gone.gguf, preload: true}
            """
                .formatted(master, LocalModelTest.modelDir()))) {
      ShelfHarness.Raw ready = shelf.get("/health/ready");
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (ready.status() != 200 && System.nanoTime() < deadline) {
        assertThat(ready.json().at("/pending_preloads").asInt()).as(ready.body()).isPositive();
        assertThat(ready.json().has("preloading")).as(ready.body()).isFalse();
        Thread.sleep(20);
        ready = shelf.get("/health/ready");
      }
      assertThat(ready.status()).as(ready.body()).isEqualTo(200);
      assertThat(ready.json().at("/failed_preloads").asInt()).as(ready.body()).isEqualTo(1);
      assertThat(ready.body()).doesNotContain("gone.gguf").doesNotContain("not found");

      assertThat(shelf.get("/admin/v1/health").status()).isEqualTo(401);
      ShelfHarness.Raw detail = shelf.get("/admin/v1/health", "authorization", "Bearer " + master);
      assertThat(detail.status()).as(detail.body()).isEqualTo(200);
      assertThat(detail.json().at("/status").asText()).isEqualTo("UP");
      assertThat(detail.json().at("/in_flight").asInt()).as("not itself").isZero();
      assertThat(detail.json().at("/preload_failed/local~1gone.gguf").asText())
          .as(detail.body())
          .contains("local model file not found");
    }
  }

  @Test
  void theAdminApiListsTheModelsHeldInMemory() throws Exception {
    String master = LocalModelTest.MASTER;
    try (ShelfHarness shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            auth: {master_key: %s}
            providers:
              local: {type: local, options: {dir: "%s", threads: 2}}
            models:
              - {id: stories, provider: local, upstream: stories260K.gguf}
              - {id: tale, provider: local, upstream: stories260K.gguf}
            """
                .formatted(master, LocalModelTest.modelDir()))) {
      String auth = "Bearer " + master;
      assertThat(shelf.get("/admin/v1/loaded", "authorization", auth).json().at("/data").size())
          .as("nothing loaded before a request")
          .isZero();
      shelf.sdk(master).chat().completions().create(LocalModelTest.ask().build());
      ShelfHarness.Raw r = shelf.get("/admin/v1/loaded", "authorization", auth);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonNode m = r.json().at("/data/0");
      assertThat(r.json().at("/data").size()).as(r.body()).isEqualTo(1);
      assertThat(m.at("/provider").asText()).isEqualTo("local");
      assertThat(m.at("/upstream").asText()).isEqualTo("stories260K.gguf");
      assertThat(m.at("/models").toString()).isEqualTo("[\"stories\",\"tale\"]");
      assertThat(m.at("/bytes").asLong()).isGreaterThan(1_000_000L);
      assertThat(m.at("/requests").asInt()).isZero();
      assertThat(m.at("/idle_seconds").asDouble()).isGreaterThanOrEqualTo(0);
    }
  }
}
