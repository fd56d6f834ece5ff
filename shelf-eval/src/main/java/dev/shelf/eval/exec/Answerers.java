package dev.shelf.eval.exec;

import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.run.Answerer;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The answerer a run's settings call for, talking to an OpenAI-compatible {@code /v1}. */
public final class Answerers {
  private Answerers() {}

  /**
   * A {@link LoglikelihoodAnswerer} when the settings ask for log-likelihood scoring, else an
   * {@link OpenAiAnswerer}.
   */
  public static Answerer<Item> forRun(
      HttpClient http,
      URI baseUrl,
      @Nullable String key,
      String model,
      ChatSettings settings,
      @Nullable ModelPrice price,
      Duration timeout) {
    if (settings.loglikelihood()) {
      return new LoglikelihoodAnswerer(http, baseUrl, key, model, price, timeout);
    }
    return new OpenAiAnswerer(http, baseUrl, key, model, settings, price, timeout);
  }
}
