package dev.shelf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.Json;
import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.metering.Money;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.gateway.metering.UsageRow;
import dev.shelf.gateway.tenancy.ApiKey;
import dev.shelf.gateway.tenancy.Budget;
import dev.shelf.gateway.tenancy.Limits;
import dev.shelf.gateway.tenancy.Team;
import dev.shelf.gateway.tenancy.TenancyStore.AuditEntry;
import dev.shelf.gateway.tenancy.User;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * JSON in and out of the admin API: objects as they are shown (a key never with its secret or hash;
 * money as decimal strings in the billing currency, so no float rounding reaches a client), and the
 * request bodies read strictly, every error naming its field.
 */
final class AdminViews {
  private AdminViews() {}

  static ObjectNode team(Team t, String currency) {
    ObjectNode o = Json.object();
    o.put("object", "team");
    o.put("id", t.id());
    o.put("name", t.name());
    strings(o.putArray("models"), t.models());
    limits(o, t.limits());
    budget(o, t.budget(), currency);
    if (t.creditNanos() != null) {
      o.put("credit", Money.decimal(t.creditNanos()).toPlainString());
    } else {
      o.putNull("credit");
    }
    o.put("created_at", t.createdMs() / 1000);
    AuditMode audit = t.audit();
    o.put("audit", audit == null ? null : audit.wire()); // null: audit.default
    return o;
  }

  static ObjectNode key(ApiKey k, String currency) {
    ObjectNode o = Json.object();
    o.put("object", "api_key");
    o.put("id", k.id());
    o.put("team_id", k.teamId());
    o.put("user_id", k.userId());
    o.put("name", k.name());
    o.put("prefix", k.prefix());
    o.put("admin", k.admin());
    strings(o.putArray("models"), k.models());
    limits(o, k.limits());
    budget(o, k.budget(), currency);
    o.put("expires_at", k.expiresMs() == null ? null : k.expiresMs() / 1000);
    o.put("revoked_at", k.revokedMs() == null ? null : k.revokedMs() / 1000);
    Long suspended = k.suspendedUntilMs();
    o.put(
        "suspended_until",
        suspended != null && k.suspendedAt(System.currentTimeMillis()) ? suspended / 1000 : null);
    o.put("created_at", k.createdMs() / 1000);
    return o;
  }

  static ObjectNode user(User u) {
    ObjectNode o = Json.object();
    o.put("object", "user");
    o.put("id", u.id());
    o.put("team_id", u.teamId());
    o.put("email", u.email());
    o.put("name", u.name());
    o.put("created_at", u.createdMs() / 1000);
    return o;
  }

  static ObjectNode audit(AuditEntry e) {
    ObjectNode o = Json.object();
    o.put("at", Instant.ofEpochMilli(e.atMs()).toString());
    o.put("actor", e.actor());
    o.put("team_id", e.teamId());
    o.put("action", e.action());
    o.put("target", e.target());
    o.put("detail", e.detail());
    return o;
  }

  static ObjectNode row(UsageRow r, String currency) {
    ObjectNode o = Json.object();
    o.put("group", r.group());
    o.put("requests", r.requests());
    o.put("errors", r.errors());
    o.put("prompt_tokens", r.promptTokens());
    o.put("completion_tokens", r.completionTokens());
    o.put("cached_tokens", r.cachedTokens());
    o.put("cost", Money.decimal(r.costNanos()).toPlainString());
    o.put("currency", currency);
    return o;
  }

  static ObjectNode record(UsageRecord r, String currency) {
    ObjectNode o = Json.object();
    o.put("request_id", r.requestId());
    o.put("at", Instant.ofEpochMilli(r.atMs()).toString());
    o.put("key_id", r.keyId());
    o.put("team_id", r.teamId());
    o.put("endpoint", r.endpoint());
    o.put("model", r.model());
    o.put("deployment", r.deployment());
    o.put("prompt_tokens", r.promptTokens());
    o.put("completion_tokens", r.completionTokens());
    o.put("cached_tokens", r.cachedTokens());
    o.put("cost", Money.decimal(r.costNanos()).toPlainString());
    o.put("currency", currency);
    o.put("estimated", r.estimated());
    o.put("latency_ms", r.latencyMs());
    o.put("ttft_ms", r.ttftMs());
    o.put("status", r.status());
    o.put("error_code", r.errorCode());
    return o;
  }

  /** A usage report as CSV (RFC 4180: fields with commas or quotes are quoted). */
  static String csv(String groupBy, List<UsageRow> rows, String currency) {
    var sb = new StringBuilder();
    sb.append(groupBy)
        .append(",requests,errors,prompt_tokens,completion_tokens,cached_tokens,cost,currency\r\n");
    for (UsageRow r : rows) {
      sb.append(csvField(r.group()))
          .append(',')
          .append(r.requests())
          .append(',')
          .append(r.errors())
          .append(',')
          .append(r.promptTokens())
          .append(',')
          .append(r.completionTokens())
          .append(',')
          .append(r.cachedTokens())
          .append(',')
          .append(Money.decimal(r.costNanos()).toPlainString())
          .append(',')
          .append(currency)
          .append("\r\n");
    }
    return sb.toString();
  }

  private static String csvField(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }

  static ObjectNode list(List<ObjectNode> items) {
    ObjectNode o = Json.object();
    o.put("object", "list");
    ArrayNode a = o.putArray("data");
    items.forEach(a::add);
    return o;
  }

  private static void limits(ObjectNode o, Limits l) {
    o.put("rpm", l.rpm());
    o.put("tpm", l.tpm());
    o.put("max_concurrent", l.maxConcurrent());
  }

  private static void budget(ObjectNode o, @Nullable Budget b, String currency) {
    if (b == null) {
      o.putNull("budget");
      return;
    }
    ObjectNode bo = o.putObject("budget");
    bo.put("amount", Money.decimal(b.amountNanos()).toPlainString());
    bo.put("period", b.period().wire());
    bo.put("currency", currency);
  }

  private static void strings(ArrayNode a, List<String> values) {
    values.forEach(a::add);
  }

  // ---- reading bodies ----

  static @Nullable String str(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw ApiException.invalid(field, field + " must be a string");
    }
    return v.asText();
  }

  static String reqStr(JsonNode body, String field) {
    String s = str(body, field);
    if (s == null || s.isBlank()) {
      throw ApiException.invalid(field, field + " is required");
    }
    return s;
  }

  /** A team's {@code audit}: full, hashed or off; null to follow {@code audit.default}. */
  static @Nullable AuditMode auditMode(JsonNode body) {
    String v = str(body, "audit");
    if (v == null) {
      return null;
    }
    try {
      return AuditMode.parse(v);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("audit", "audit " + e.getMessage());
    }
  }

  static @Nullable Integer positive(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
      throw ApiException.invalid(field, field + " must be an integer >= 1 but was " + v);
    }
    return v.asInt();
  }

  static List<String> strings(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (!v.isArray()) {
      throw ApiException.invalid(field, field + " must be an array of model ids");
    }
    var out = new ArrayList<String>();
    for (JsonNode e : v) {
      if (!e.isTextual() || e.asText().isEmpty() || e.asText().contains("\n")) {
        throw ApiException.invalid(field, field + " must hold non-empty model ids");
      }
      out.add(e.asText());
    }
    return out;
  }

  static Limits limits(JsonNode body, Limits current) {
    return new Limits(
        body.has("rpm") ? positive(body, "rpm") : current.rpm(),
        body.has("tpm") ? positive(body, "tpm") : current.tpm(),
        body.has("max_concurrent") ? positive(body, "max_concurrent") : current.maxConcurrent());
  }

  /** {@code budget: {amount: "10.5", period: "month"}} or null to remove it. */
  static @Nullable Budget budget(JsonNode body, @Nullable Budget current) {
    if (!body.has("budget")) {
      return current;
    }
    JsonNode b = body.get("budget");
    if (b.isNull()) {
      return null;
    }
    if (!b.isObject()) {
      throw ApiException.invalid("budget", "budget must be an object {amount, period}");
    }
    return new Budget(money(b, "budget.amount", "amount"), period(b));
  }

  private static Budget.Period period(JsonNode b) {
    String p = b.has("period") ? b.get("period").asText() : "month";
    try {
      return Budget.Period.parse(p);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("budget.period", String.valueOf(e.getMessage()));
    }
  }

  /** A money amount given as a decimal string or number, to nano-units. */
  static long money(JsonNode body, String param, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull() || !(v.isTextual() || v.isNumber())) {
      throw ApiException.invalid(param, param + " must be a decimal amount such as \"12.50\"");
    }
    try {
      return Money.parse(v.asText());
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw ApiException.invalid(
          param, param + " must be a non-negative amount with at most 9 decimals but was " + v);
    }
  }
}
