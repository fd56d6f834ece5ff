package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The arena through the real server: its page, battles, votes and leaderboard. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArenaApiTest extends EvalsApiBase {
  // ---- arena ----

  JsonNode battle(String key) {
    return ok(
        shelf.post(
            "/v1/evals/arena/battles",
            "{\"prompt\": \"What is the capital of France?\", \"models\": [\"paris\", \"dunno\"]}",
            "authorization",
            auth(key)),
        201);
  }

  /** The slot whose answer is Paris's. */
  static String parisSlot(JsonNode battle) {
    for (JsonNode a : battle.get("answers")) {
      if (a.get("text").asText().startsWith("Paris")) {
        return a.get("slot").asText();
      }
    }
    throw new AssertionError("no Paris answer in " + battle);
  }

  @Test
  void theArenaPageIsSelfContainedAndCallsOnlyArenaRoutesThatAnswerWhatItReads() {
    var page = shelf.get("/arena"); // the page needs no key: it asks for one
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("content-type")).isEqualTo("text/html; charset=utf-8");
    assertThat(page.header("content-security-policy"))
        .contains("default-src 'none'", "connect-src 'self'");
    String html = page.body();
    assertThat(html).startsWith("<!doctype html>").contains("sessionStorage", "</script>");
    // no external resource of any kind: the server may have no network
    assertThat(html).doesNotContain("http://", "https://", "<link", "src=", "@import", "url(");

    // every API path in the page is an arena route, and the vote path is built from the battle id
    var paths = new java.util.TreeSet<String>();
    var m = java.util.regex.Pattern.compile("\"(/[^\"]*)\"").matcher(html);
    while (m.find()) {
      paths.add(m.group(1));
    }
    assertThat(paths)
        .containsExactly(
            "/v1/evals/arena/battles",
            "/v1/evals/arena/battles/",
            "/v1/evals/arena/leaderboard",
            "/vote");
    assertThat(html)
        .contains(
            "\"/v1/evals/arena/battles/\" + encodeURIComponent(battle.id) + \"/vote\"",
            "?both_bad=ignore");

    // the calls the page makes, as it makes them, answer the fields it reads
    String key = teamKey("arena-page");
    JsonNode b =
        ok(
            shelf.post(
                "/v1/evals/arena/battles",
                "{\"prompt\": \"What is the capital of France?\", \"models\": [\"paris\", \"dunno\"]}",
                "content-type",
                "application/json",
                "authorization",
                auth(key)),
            201);
    assertThat(html).contains("b.answers.forEach", "a.slot", "a.text", "battle.id");
    assertThat(b.get("answers").findValuesAsText("slot")).containsExactly("a", "b");
    assertThat(b.get("answers").findValuesAsText("text")).hasSize(2);
    for (String winner : List.of("a", "b", "tie", "both_bad")) {
      assertThat(html).contains("data-winner=\"" + winner + "\"");
    }
    JsonNode v =
        ok(
            shelf.post(
                "/v1/evals/arena/battles/" + b.get("id").asText() + "/vote",
                "{\"winner\": \"both_bad\"}",
                "authorization",
                auth(key)),
            200);
    assertThat(html).contains("v.model_a", "v.model_b");
    assertThat(List.of(v.get("model_a").asText(), v.get("model_b").asText()))
        .containsExactlyInAnyOrder("paris", "dunno");
    JsonNode board = ok(shelf.get("/v1/evals/arena/leaderboard", "authorization", auth(key)), 200);
    assertThat(board.get("votes").asInt()).isEqualTo(1);
    for (String field : List.of("rank", "model", "rating", "ci_low", "ci_high", "battles")) {
      assertThat(html).contains("r." + field);
      assertThat(board.get("data").get(0).has(field)).as(field).isTrue();
    }
    assertThat(html).contains("board.votes", "board.data");
    JsonNode ignored =
        ok(
            shelf.get("/v1/evals/arena/leaderboard?both_bad=ignore", "authorization", auth(key)),
            200);
    assertThat(ignored.get("data")).isEmpty(); // the one vote was both bad
  }

  @Test
  void aBattleHidesTheModelsUntilTheVoteWhichCountsOnce() {
    String key = teamKey("arena");
    var raw =
        shelf.post(
            "/v1/evals/arena/battles",
            "{\"prompt\": \"What is the capital of France?\", \"models\": [\"paris\", \"dunno\"]}",
            "authorization",
            auth(key));
    assertThat(raw.status()).as(raw.body()).isEqualTo(201);
    assertThat(raw.body()).doesNotContain("paris", "dunno", "model_a", "model_b");
    JsonNode b = raw.json();
    String id = b.get("id").asText();
    assertThat(b.get("answers").findValuesAsText("slot")).containsExactly("a", "b");
    assertThat(b.get("answers").findValuesAsText("text"))
        .containsExactlyInAnyOrder("Paris is the capital of France.", "I do not know.");
    assertThat(
            ok(shelf.get("/v1/evals/arena/battles/" + id, "authorization", auth(key)), 200)
                .has("model_a"))
        .isFalse();

    String other = teamKey("arena-other");
    assertThat(shelf.get("/v1/evals/arena/battles/" + id, "authorization", auth(other)).status())
        .isEqualTo(404);
    var theirVote =
        shelf.post(
            "/v1/evals/arena/battles/" + id + "/vote",
            "{\"winner\": \"a\"}",
            "authorization",
            auth(other));
    assertThat(theirVote.status()).isEqualTo(404);
    assertThat(theirVote.json().get("error").get("code").asText()).isEqualTo("battle_not_found");
    var badVote =
        shelf.post(
            "/v1/evals/arena/battles/" + id + "/vote",
            "{\"winner\": \"c\"}",
            "authorization",
            auth(key));
    assertThat(badVote.status()).isEqualTo(400);

    String slot = parisSlot(b);
    JsonNode voted =
        ok(
            shelf.post(
                "/v1/evals/arena/battles/" + id + "/vote",
                "{\"winner\": \"%s\"}".formatted(slot),
                "authorization",
                auth(key)),
            200);
    assertThat(voted.get("winner").asText()).isEqualTo(slot);
    assertThat(voted.get("model_" + slot).asText()).isEqualTo("paris");
    assertThat(voted.get("model_" + (slot.equals("a") ? "b" : "a")).asText()).isEqualTo("dunno");

    var twice =
        shelf.post(
            "/v1/evals/arena/battles/" + id + "/vote",
            "{\"winner\": \"tie\"}",
            "authorization",
            auth(key));
    assertThat(twice.status()).isEqualTo(409);
    assertThat(twice.json().get("error").get("code").asText()).isEqualTo("battle_voted");
    assertThat(
            ok(shelf.get("/v1/evals/arena/battles/" + id, "authorization", auth(key)), 200)
                .get("winner")
                .asText())
        .isEqualTo(slot);
  }

  @Test
  void battlesDrawTwoDistinctModelsTheKeyMayUseInBothOrders() {
    String key = teamKey("draw");
    Set<String> pairs = new HashSet<>();
    for (int i = 0; i < 12; i++) {
      JsonNode b = battle(key);
      String slot = parisSlot(b);
      pairs.add(slot);
      ok(
          shelf.post(
              "/v1/evals/arena/battles/" + b.get("id").asText() + "/vote",
              "{\"winner\": \"tie\"}",
              "authorization",
              auth(key)),
          200);
    }
    assertThat(pairs).containsExactlyInAnyOrder("a", "b"); // 2^-11 odds to fail by chance

    var one =
        shelf.post(
            "/v1/evals/arena/battles",
            "{\"prompt\": \"hi\", \"models\": [\"paris\"]}",
            "authorization",
            auth(key));
    assertThat(one.status()).isEqualTo(400);
    var unknown =
        shelf.post(
            "/v1/evals/arena/battles",
            "{\"prompt\": \"hi\", \"models\": [\"paris\", \"nope\"]}",
            "authorization",
            auth(key));
    assertThat(unknown.status()).isEqualTo(404);
  }

  @Test
  void theArenaLeaderboardRanksAModelThatAlwaysWinsAboveOneThatAlwaysLoses() {
    String key = teamKey("board");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      JsonNode b = battle(key);
      ids.add(b.get("id").asText());
      ok(
          shelf.post(
              "/v1/evals/arena/battles/" + b.get("id").asText() + "/vote",
              "{\"winner\": \"%s\"}".formatted(parisSlot(b)),
              "authorization",
              auth(key)),
          200);
    }
    battle(key); // not voted: not counted
    JsonNode board = ok(shelf.get("/v1/evals/arena/leaderboard", "authorization", auth(key)), 200);
    assertThat(board.get("votes").asInt()).isEqualTo(12);
    assertThat(board.get("both_bad").asText()).isEqualTo("tie");
    JsonNode data = board.get("data");
    assertThat(data).hasSize(2);
    JsonNode first = data.get(0);
    JsonNode second = data.get(1);
    assertThat(first.get("model").asText()).isEqualTo("paris");
    assertThat(second.get("model").asText()).isEqualTo("dunno");
    assertThat(first.get("rank").asInt()).isEqualTo(1);
    assertThat(second.get("rank").asInt()).isEqualTo(2); // intervals apart: no shared rank
    assertThat(first.get("rating").asDouble())
        .isGreaterThan(1000)
        .isBetween(first.get("ci_low").asDouble(), first.get("ci_high").asDouble());
    assertThat(first.get("ci_low").asDouble()).isGreaterThan(second.get("ci_high").asDouble());
    assertThat(first.get("rating").asDouble() + second.get("rating").asDouble())
        .isCloseTo(2000, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(first.get("battles").asInt()).isEqualTo(12);

    // another team's leaderboard does not see these votes
    String other = teamKey("board-other");
    assertThat(
            ok(shelf.get("/v1/evals/arena/leaderboard", "authorization", auth(other)), 200)
                .get("data"))
        .isEmpty();
    assertThat(
            shelf
                .get("/v1/evals/arena/leaderboard?scope=all", "authorization", auth(other))
                .status())
        .isEqualTo(403);
    JsonNode all =
        ok(shelf.get("/v1/evals/arena/leaderboard?scope=all", "authorization", auth(MASTER)), 200);
    assertThat(all.get("votes").asInt()).isGreaterThanOrEqualTo(12);
  }
}
