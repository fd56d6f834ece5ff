package dev.shelf.providers.local;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.engine.sampling.Logprobs;
import dev.shelf.engine.tokenizer.Tokenizer;
import dev.shelf.providers.local.Generation.Scored;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The OpenAI wire shapes of log-probabilities. A reported token's {@code token} is the text it adds
 * (a control token such as an echoed prompt's BOS adds none); an alternative's is its text with
 * control tokens spelled out ({@code </s>}), so that they stay apart. A token whose bytes are not
 * whole UTF-8 (a byte-fallback piece of a character) is written {@code bytes:\xe2\x80} as OpenAI
 * writes such tokens, and {@code bytes} always holds the raw bytes. A log-probability of minus
 * infinity is written as -9999 (OpenAI's floor), JSON having no infinity.
 */
final class LogprobsJson {
  private LogprobsJson() {}

  /** Chat's {@code logprobs}: {@code {"content": [{token, logprob, bytes, top_logprobs}]}}. */
  static ObjectNode chat(Tokenizer tokenizer, List<Scored> tokens, int top) {
    ObjectNode out = Json.object();
    ArrayNode content = out.putArray("content");
    for (Scored s : tokens) {
      Logprobs dist = s.dist();
      if (dist == null) {
        continue;
      }
      ObjectNode e = entry(content.addObject(), tokenizer.piece(s.id(), false), dist.of(s.id()));
      ArrayNode alternatives = e.putArray("top_logprobs");
      for (int id : dist.top(top)) {
        entry(alternatives.addObject(), tokenizer.piece(id, true), dist.of(id));
      }
    }
    out.putNull("refusal");
    return out;
  }

  private static ObjectNode entry(ObjectNode e, byte[] bytes, double logprob) {
    e.put("token", text(bytes));
    e.put("logprob", finite(logprob));
    ArrayNode b = e.putArray("bytes");
    for (byte x : bytes) {
      b.add(x & 0xFF);
    }
    return e;
  }

  /**
   * Completions' {@code logprobs}: parallel arrays {@code tokens}, {@code token_logprobs}, {@code
   * top_logprobs} (the {@code top} most likely and the chosen token, as vLLM answers, keyed by
   * text) and {@code text_offset}; a token without a distribution (an echoed prompt's first) has
   * null in both.
   */
  static ObjectNode completion(Tokenizer tokenizer, List<Scored> tokens, int top) {
    ObjectNode out = Json.object();
    ArrayNode texts = out.putArray("tokens");
    ArrayNode logprobs = out.putArray("token_logprobs");
    ArrayNode tops = out.putArray("top_logprobs");
    ArrayNode offsets = out.putArray("text_offset");
    for (Scored s : tokens) {
      texts.add(text(tokenizer.piece(s.id(), false)));
      offsets.add(s.offset());
      Logprobs dist = s.dist();
      if (dist == null) {
        logprobs.addNull();
        tops.addNull();
        continue;
      }
      logprobs.add(finite(dist.of(s.id())));
      ObjectNode map = tops.addObject();
      for (int id : dist.top(top)) {
        map.put(text(tokenizer.piece(id, true)), finite(dist.of(id)));
      }
      map.put(text(tokenizer.piece(s.id(), false)), finite(dist.of(s.id())));
    }
    return out;
  }

  private static double finite(double logprob) {
    return logprob == Double.NEGATIVE_INFINITY || Double.isNaN(logprob) ? -9999.0 : logprob;
  }

  /** The bytes as text, or {@code bytes:\xNN...} when they are not whole UTF-8. */
  static String text(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      StringBuilder sb = new StringBuilder("bytes:");
      for (byte b : bytes) {
        sb.append(String.format(Locale.ROOT, "\\x%02x", b & 0xFF));
      }
      return sb.toString();
    }
  }
}
