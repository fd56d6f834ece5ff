package dev.shelf.eval.judge;

import dev.shelf.eval.dataset.FreeFormItem;
import dev.shelf.eval.exec.ChatSettings;
import dev.shelf.eval.exec.OpenAiAnswerer;
import dev.shelf.eval.prompt.Prompt;
import dev.shelf.eval.run.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A shelf model as the judge, through {@link OpenAiAnswerer} (so a Shelf key's limits, budget and
 * metering apply to judging as to answering): temperature 0, a fixed seed and up to 1024 tokens for
 * the explanation and the verdict. A failed call throws {@link Judge.Failed} with the answerer's
 * error.
 */
public final class OpenAiJudge implements Judge {
  public static final ChatSettings SETTINGS = new ChatSettings(0, 1024, 1234L);

  private final OpenAiAnswerer answerer;

  public OpenAiJudge(
      HttpClient http, URI baseUrl, @Nullable String key, String model, Duration timeout) {
    this.answerer = new OpenAiAnswerer(http, baseUrl, key, model, SETTINGS, null, timeout);
  }

  @Override
  public String ask(String prompt) {
    // OpenAiAnswerer sends the prompt only; the item is not read, this one just satisfies the type
    var item = new FreeFormItem("judge", "judge", 0, "", prompt, List.of("-"));
    Response r = answerer.answer(item, new Prompt(prompt, List.of()));
    String text = r.text();
    if (text == null) {
      throw new Judge.Failed("the judge's call failed: " + r.error());
    }
    return text;
  }
}
