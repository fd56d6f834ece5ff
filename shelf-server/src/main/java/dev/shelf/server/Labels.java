package dev.shelf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.Json;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.StreamListener;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.guard.label.AigcLabel;
import dev.shelf.guard.label.ExplicitLabel;
import dev.shelf.guard.label.LabelSigner;
import dev.shelf.guard.label.LabelSigner.Verification;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * AIGC labels (GB 45438-2025) on every generated answer, and their verification.
 *
 * <p>The implicit label is the standard's {@code AIGC} metadata ({@link AigcLabel}): {@code Label}
 * "1", {@code ContentProducer} the configured producer, {@code ProduceID} the request id (the
 * {@code x-request-id} of the response), and in {@code ReservedCode1} Shelf's HMAC signature
 * ({@link LabelSigner}). It travels in the {@value #HEADER} header (the {@code {"AIGC":{...}}}
 * document, ASCII) and in an {@value #FIELD} field (the inner object) of the JSON:
 *
 * <ul>
 *   <li>non-streaming chat, completions and messages: header and top-level {@code aigc} field, both
 *       signed over the answer's text;
 *   <li>streams: the header goes out before any text exists, so it carries only the id tag; the
 *       signed label is the {@code aigc} field of the last event — the usage chunk when the client
 *       asked for one, else the last chunk that finished a choice (held back for it), and {@code
 *       message_stop} for Messages;
 *   <li>embeddings: the header only, signed over the empty text (an embedding has no text; the
 *       label still proves Shelf answered that request id).
 * </ul>
 *
 * <p>The signed text is what the client received: each choice's content, explicit notice included,
 * concatenated in index order without a separator (Messages: the first choice only, as it has one).
 * The signing key is derived from Shelf's secret key ({@value #KEY_PURPOSE}), so labels verify
 * after a restart and on every node sharing that key.
 */
final class Labels {
  static final String HEADER = "x-aigc-label";
  static final String FIELD = "aigc";

  /** The purpose the signing key is derived for from Shelf's secret key. */
  static final String KEY_PURPOSE = "shelf-aigc-label-v1";

  private static final long MAX_VERIFY_BODY = 64L * 1024 * 1024;

  private final Supplier<ShelfConfig.Labels> config;
  private final LabelSigner signer;

  Labels(Supplier<ShelfConfig.Labels> config, byte[] key) {
    this.config = config;
    this.signer = new LabelSigner(key);
  }

  /** A fresh random key: labels then verify only while this process runs. */
  static byte[] ephemeralKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return key;
  }

  /** Labels a stream: the header at its start, the signed label on its last event. */
  <C> LabelStream<C> streaming(
      Exchange ex,
      ServerResponse res,
      StreamListener<C> target,
      LabelStream.Shape<C> shape,
      boolean firstChoiceOnly) {
    return wrap(ex, res, target, shape, firstChoiceOnly);
  }

  /** Labels an answer collected for a non-streaming body ({@link LabelStream#sealBody}). */
  <C> LabelStream<C> collecting(
      Exchange ex, StreamListener<C> target, LabelStream.Shape<C> shape, boolean firstChoiceOnly) {
    return wrap(ex, null, target, shape, firstChoiceOnly);
  }

  private <C> LabelStream<C> wrap(
      Exchange ex,
      @Nullable ServerResponse streamHeaderOn,
      StreamListener<C> target,
      LabelStream.Shape<C> shape,
      boolean firstChoiceOnly) {
    ShelfConfig.Labels c = config.get();
    return new LabelStream<>(
        target,
        shape,
        streamHeaderOn,
        c.enabled() ? signer : null,
        AigcLabel.generated(c.producer(), ex.requestId()),
        explicit(c),
        firstChoiceOnly);
  }

  private static ExplicitLabel explicit(ShelfConfig.Labels c) {
    return new ExplicitLabel(
        ExplicitLabel.Position.valueOf(c.explicitPosition().name()), c.explicitText());
  }

  /** The header of an embeddings answer: signed over the empty text. */
  void embeddings(Exchange ex, ServerResponse res) {
    ShelfConfig.Labels c = config.get();
    if (c.enabled()) {
      res.header(
          HEADER, signer.sign(AigcLabel.generated(c.producer(), ex.requestId()), "").headerValue());
    }
  }

  /** {@code "aigc":{...}}, a JSON field to add to an object. */
  static byte[] field(AigcLabel label) {
    return ("\"" + FIELD + "\":" + label.json()).getBytes(StandardCharsets.US_ASCII);
  }

  /** The JSON object {@code json} with {@code field} added as its last member. */
  static byte[] withField(byte[] json, byte @Nullable [] field) {
    if (field == null) {
      return json;
    }
    int end = json.length - 1;
    while (end >= 0 && json[end] <= ' ') {
      end--;
    }
    if (end < 1 || json[end] != '}') {
      throw new IllegalStateException("not a JSON object: cannot add the AIGC label");
    }
    int before = end - 1;
    while (before >= 0 && json[before] <= ' ') {
      before--;
    }
    boolean empty = json[before] == '{';
    byte[] out = new byte[end + (empty ? 0 : 1) + field.length + 1];
    System.arraycopy(json, 0, out, 0, end);
    int at = end;
    if (!empty) {
      out[at++] = ',';
    }
    System.arraycopy(field, 0, out, at, field.length);
    out[out.length - 1] = '}';
    return out;
  }

  // ---- POST /admin/v1/labels/verify ----

  void routes(HttpRouting.Builder r, ShelfServer server) {
    r.post(
        "/admin/v1/labels/verify",
        (req, res) ->
            server.serve(req, res, "admin", Http::error, (ex, who) -> verify(req, res, who)));
  }

  private void verify(
      ServerRequest req, ServerResponse res, dev.shelf.gateway.tenancy.Principal who) {
    if (!who.admin()) {
      throw ApiException.forbidden(
          "admin_key_required", "This needs the master key or a team admin key.");
    }
    JsonNode b = Json.parse(Http.body(req, MAX_VERIFY_BODY));
    if (!b.isObject()) {
      throw ApiException.invalid(null, "The body must be a JSON object.");
    }
    JsonNode text = b.get("text");
    if (text == null || !text.isTextual()) {
      throw ApiException.invalid("text", "text must be the generated text, a string.");
    }
    AigcLabel label = label(b.get("label"));
    Verification v = signer.verify(label, text.asText());
    ObjectNode o = Json.object();
    o.put("valid", v.valid());
    o.put("verdict", v.verdict().wire());
    o.put("reason", v.reason());
    o.put("produce_id", label.produceId());
    o.put("content_producer", label.contentProducer());
    Http.json(res, 200, Json.bytes(o));
  }

  /** The label as given: the AIGC object, the {@code {"AIGC":...}} document, or either as text. */
  private static AigcLabel label(@Nullable JsonNode l) {
    if (l == null || !(l.isObject() || l.isTextual())) {
      throw ApiException.invalid(
          "label",
          "label must be the AIGC label: the object from a body's aigc field, or the "
              + HEADER
              + " header's value.");
    }
    try {
      return AigcLabel.parse(l.isTextual() ? l.asText() : Json.string(l));
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("label", "label is not an AIGC label: " + e.getMessage());
    }
  }
}
