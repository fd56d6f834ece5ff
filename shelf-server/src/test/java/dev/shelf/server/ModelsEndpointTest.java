package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/models}: what the shelf shows, described from the model map, and its filters. */
class ModelsEndpointTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static final String NARROW = "sk-shelf-narrow-key-0123456789";
  static ShelfHarness shelf;

  @BeforeAll
  static void start() {
    shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            auth:
              master_key: %s
              keys: [{name: narrow, key: %s, models: [gpt-4o-mini]}]
            providers:
              up: {type: openai, base_url: "http://127.0.0.1:9/v1"}
            models:
              - {id: deepseek-chat, provider: up}
              - {id: gpt-4o-mini, provider: up}
              - {id: qwen/qwen2.5-7b-instruct, provider: up, upstream: qwen2.5-7b-instruct}
              - {id: house-model, provider: up, context: 4096, capabilities: [tools],
                 price: {input: 1, output: 2, currency: CNY}}
            routes:
              - {id: chat, targets: [deepseek-chat, gpt-4o-mini]}
            """
                .formatted(MASTER, NARROW));
  }

  @AfterAll
  static void stop() {
    shelf.close();
  }

  private static List<String> ids(String query, String key) {
    var r = shelf.get("/v1/models" + query, "authorization", "Bearer " + key);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    var out = new ArrayList<String>();
    r.json().path("data").forEach(m -> out.add(m.path("id").asText()));
    return out;
  }

  @Test
  void listsEveryPublicNameInOrderWithWhatIsKnownAboutIt() {
    assertThat(ids("", MASTER))
        .containsExactly(
            "deepseek-chat", "gpt-4o-mini", "qwen/qwen2.5-7b-instruct", "house-model", "chat");
    JsonNode qwen =
        shelf
            .get("/v1/models/qwen/qwen2.5-7b-instruct", "authorization", "Bearer " + MASTER)
            .json();
    assertThat(qwen.path("object").asText()).isEqualTo("model");
    assertThat(qwen.path("owned_by").asText()).isEqualTo("alibaba");
    assertThat(qwen.path("open_weights").asBoolean()).isTrue();
    assertThat(qwen.path("params_b").asDouble()).isEqualTo(7.61);
    assertThat(qwen.path("deployments").get(0).asText()).isEqualTo("up/qwen2.5-7b-instruct");

    JsonNode chat = shelf.get("/v1/models/chat", "authorization", "Bearer " + MASTER).json();
    assertThat(chat.path("owned_by").asText()).isEqualTo("shelf");
    assertThat(chat.path("context_window").asInt()).isEqualTo(128000);
    assertThat(chat.path("deployments")).hasSize(2);

    JsonNode house =
        shelf.get("/v1/models/house-model", "authorization", "Bearer " + MASTER).json();
    assertThat(house.path("context_window").asInt()).isEqualTo(4096);
    assertThat(house.path("pricing").path("currency").asText()).isEqualTo("CNY");
    assertThat(house.path("owned_by").asText()).isEqualTo("up");
    assertThat(house.has("open_weights")).isFalse();
  }

  @Test
  void filtersByVendorOpenWeightsSizeAndCapability() {
    assertThat(ids("?vendor=openai", MASTER)).containsExactly("gpt-4o-mini");
    // "chat" may answer with gpt-4o-mini, so it is not open weights, nor 671B, nor vision.
    assertThat(ids("?open_weights=true", MASTER))
        .containsExactly("deepseek-chat", "qwen/qwen2.5-7b-instruct");
    assertThat(ids("?open_weights=false", MASTER)).containsExactly("gpt-4o-mini");
    assertThat(ids("?min_params=100", MASTER)).containsExactly("deepseek-chat");
    assertThat(ids("?min_params=7b", MASTER))
        .containsExactly("deepseek-chat", "qwen/qwen2.5-7b-instruct");
    assertThat(ids("?capability=vision", MASTER)).containsExactly("gpt-4o-mini");
    assertThat(ids("?capability=tools", MASTER))
        .containsExactly(
            "deepseek-chat", "gpt-4o-mini", "qwen/qwen2.5-7b-instruct", "house-model", "chat");
    assertThat(ids("?capability=tools&open_weights=true&vendor=alibaba", MASTER))
        .containsExactly("qwen/qwen2.5-7b-instruct");
  }

  @Test
  void badFiltersAre400sNamingTheParameter() {
    var ow = shelf.get("/v1/models?open_weights=maybe", "authorization", "Bearer " + MASTER);
    assertThat(ow.status()).isEqualTo(400);
    assertThat(ow.json().at("/error/param").asText()).isEqualTo("open_weights");
    var mp = shelf.get("/v1/models?min_params=huge", "authorization", "Bearer " + MASTER);
    assertThat(mp.status()).isEqualTo(400);
    assertThat(mp.json().at("/error/param").asText()).isEqualTo("min_params");
  }

  @Test
  void aKeyLimitedToSomeModelsSeesOnlyThose() {
    assertThat(ids("", NARROW)).containsExactly("gpt-4o-mini");
    var hidden = shelf.get("/v1/models/deepseek-chat", "authorization", "Bearer " + NARROW);
    assertThat(hidden.status()).isEqualTo(404);
    assertThat(hidden.json().at("/error/code").asText()).isEqualTo("model_not_found");
    var refused =
        shelf.post(
            "/v1/chat/completions",
            """
            {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}""",
            "authorization",
            "Bearer " + NARROW);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().at("/error/code").asText()).isEqualTo("model_not_allowed");
  }
}
