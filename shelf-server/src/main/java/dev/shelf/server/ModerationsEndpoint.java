package dev.shelf.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.Json;
import dev.shelf.guard.policy.Action;
import dev.shelf.guard.policy.Guardrails;
import dev.shelf.guard.policy.Policy;
import dev.shelf.guard.policy.PolicyHit;
import dev.shelf.guard.policy.RequestTexts;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/moderations}, OpenAI-compatible: runs the content-policy pipeline over each input
 * and reports what fired. The policy is the one {@code model} names, else the caller's own (a
 * key's, its team's, or the default). OpenAI's category names are always present (true when a
 * keyword library of that category or the moderation model named it); Shelf's own findings appear
 * beside them: {@code pii/TYPE}, {@code prompt_injection}, and other keyword categories. An input
 * is {@code flagged} when a rule that blocks or flags fired; redaction alone (PII to be masked) is
 * reported in the categories but does not flag.
 */
final class ModerationsEndpoint {
  /** OpenAI's moderation categories, in its order. */
  static final List<String> OPENAI_CATEGORIES =
      List.of(
          "harassment",
          "harassment/threatening",
          "hate",
          "hate/threatening",
          "illicit",
          "illicit/violent",
          "self-harm",
          "self-harm/intent",
          "self-harm/instructions",
          "sexual",
          "sexual/minors",
          "violence",
          "violence/graphic");

  private final ShelfServer server;
  private final long maxBody;

  ModerationsEndpoint(ShelfServer server, long maxBody) {
    this.server = server;
    this.maxBody = maxBody;
  }

  void create(ServerRequest req, ServerResponse res) {
    server.serve(
        req,
        res,
        "moderations",
        Http::error,
        (ex, caller) -> {
          JsonNode body = Json.parse(Http.body(req, maxBody));
          JsonNode input = body.path("input");
          if (!input.isTextual() && !input.isArray()) {
            throw ApiException.invalid("input", "`input` must be a string or an array of strings.");
          }
          List<String> texts = RequestTexts.of(input);
          Guardrails rails = server.guard().rails();
          String model = body.path("model").asText("");
          Policy policy = model.isEmpty() ? null : rails.policy(model);
          if (policy == null) {
            policy = rails.policyFor(caller);
          }
          String name = policy == null ? "none" : policy.name();
          ex.model(name);
          var results = new java.util.ArrayList<List<PolicyHit>>();
          for (String text : texts) {
            List<PolicyHit> hits =
                policy == null
                    ? List.of()
                    : policy.checkInput(List.of(text), server.guard().classifier()).hits();
            results.add(hits);
          }
          Http.shelfHeaders(res, ex);
          Http.json(res, 200, Json.write(g -> write(g, "modr-" + ex.requestId(), name, results)));
        });
  }

  private static void write(JsonGenerator g, String id, String model, List<List<PolicyHit>> results)
      throws IOException {
    g.writeStartObject();
    g.writeStringField("id", id);
    g.writeStringField("model", model);
    g.writeArrayFieldStart("results");
    for (List<PolicyHit> hits : results) {
      Map<String, Double> scores = new LinkedHashMap<>();
      OPENAI_CATEGORIES.forEach(c -> scores.put(c, 0.0));
      boolean flagged = false;
      for (PolicyHit h : hits) {
        flagged |= h.action() != Action.REDACT;
        for (String c : categories(h)) {
          scores.merge(c, score(h), Math::max);
        }
      }
      g.writeStartObject();
      g.writeBooleanField("flagged", flagged);
      g.writeObjectFieldStart("categories");
      for (var e : scores.entrySet()) {
        g.writeBooleanField(e.getKey(), e.getValue() > 0);
      }
      g.writeEndObject();
      g.writeObjectFieldStart("category_scores");
      for (var e : scores.entrySet()) {
        g.writeNumberField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      g.writeObjectFieldStart("category_applied_input_types");
      for (var e : scores.entrySet()) {
        g.writeArrayFieldStart(e.getKey());
        if (e.getValue() > 0) {
          g.writeString("text");
        }
        g.writeEndArray();
      }
      g.writeEndObject();
      g.writeArrayFieldStart("policy_hits");
      for (PolicyHit h : hits) {
        g.writeStartObject();
        g.writeStringField("policy", h.policy());
        g.writeStringField("rule", h.rule());
        g.writeStringField("category", h.category());
        g.writeStringField("action", h.action().label());
        g.writeStringField("detail", h.detail());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  /** The category names a hit reports under. */
  private static List<String> categories(PolicyHit h) {
    return switch (h.rule()) {
      case "pii" -> List.of("pii/" + h.category());
      case "injection" -> List.of("prompt_injection");
      default -> List.of(h.category().split(","));
    };
  }

  /** A keyword or PII hit is certain; an injection hit carries its score. */
  private static double score(PolicyHit h) {
    if (h.rule().equals("injection") && h.detail().startsWith("score ")) {
      try {
        return Double.parseDouble(h.detail().substring("score ".length()));
      } catch (NumberFormatException e) {
        return 1.0;
      }
    }
    return 1.0;
  }
}
