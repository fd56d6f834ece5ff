package dev.shelf.engine.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import com.hubspot.jinjava.util.ObjectTruthValue;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;
import org.jspecify.annotations.Nullable;

/**
 * A model's Jinja chat template, rendered with Jinjava the way HuggingFace transformers' {@code
 * apply_chat_template} renders it with Jinja2 ({@code trim_blocks=True}, {@code
 * lstrip_blocks=True}, loop controls, {@code tojson} as {@code json.dumps(ensure_ascii=False)},
 * {@code raise_exception}, {@code strftime_now}, Python's string and dict methods).
 *
 * <p>Variables: {@code messages}, {@code tools} (when given), {@code add_generation_prompt}, {@code
 * bos_token}, {@code eos_token} and any extra kwargs; see {@link TemplateInput} for their shapes.
 *
 * <p><b>Fallback.</b> A GGUF file without {@code tokenizer.chat_template} gets {@link #fallback()}:
 * ChatML, each message as {@code <|im_start|>ROLE\nCONTENT<|im_end|>\n} and, with the generation
 * prompt, a final {@code <|im_start|>assistant\n}; no BOS, no tools. It is what llama.cpp and
 * transformers used as their default, and a base model sees it as plain text.
 *
 * <p>Any failure (a syntax error, a template's own {@code raise_exception}, an error Jinjava
 * records) is thrown as a {@link ChatTemplateException} naming the template and the reason; Jinjava
 * would otherwise keep rendering and return partial text.
 */
public final class ChatTemplate {
  /** The GGUF metadata key that holds a model's template. */
  public static final String GGUF_KEY = "tokenizer.chat_template";

  /** The name {@link #fallback()} carries in errors and {@link #name()}. */
  public static final String FALLBACK_NAME = "chatml-fallback";

  /** The ChatML template used when a model has none. */
  public static final String FALLBACK_SOURCE =
      "{%- for message in messages %}"
          + "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
          + "{%- endfor %}"
          + "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

  private static final ThreadLocal<ZonedDateTime> NOW = new ThreadLocal<>();

  private final String name;
  private final String source;
  private final String prepared;
  private final boolean isFallback;
  private final String bosToken;
  private final String eosToken;
  private final Clock clock;

  private ChatTemplate(
      String name,
      String source,
      boolean isFallback,
      String bosToken,
      String eosToken,
      Clock clock) {
    this.name = name;
    this.source = source;
    this.prepared = TemplateSource.prepare(source);
    this.isFallback = isFallback;
    this.bosToken = bosToken;
    this.eosToken = eosToken;
    this.clock = clock;
  }

  /** A template from its Jinja source; {@code name} is used in error messages. */
  public static ChatTemplate of(String name, String source) {
    return new ChatTemplate(name, source, false, "", "", Clock.systemDefaultZone());
  }

  /** The ChatML fallback (see the class comment). */
  public static ChatTemplate fallback() {
    return new ChatTemplate(
        FALLBACK_NAME, FALLBACK_SOURCE, true, "", "", Clock.systemDefaultZone());
  }

  /**
   * The template of a GGUF file, or the fallback when it has none; BOS and EOS default to the
   * file's own special tokens.
   */
  public static ChatTemplate fromGguf(GgufFile file) {
    GgufMetadata meta = file.metadata();
    String bos = specialToken(meta, "tokenizer.ggml.bos_token_id");
    String eos = specialToken(meta, "tokenizer.ggml.eos_token_id");
    Clock clock = Clock.systemDefaultZone();
    if (!meta.contains(GGUF_KEY)) {
      return new ChatTemplate(FALLBACK_NAME, FALLBACK_SOURCE, true, bos, eos, clock);
    }
    return new ChatTemplate(file.source(), meta.getString(GGUF_KEY), false, bos, eos, clock);
  }

  /** Opens a GGUF file just to read its template (see {@link #fromGguf(GgufFile)}). */
  public static ChatTemplate fromGguf(Path path) throws IOException {
    try (GgufFile file = GgufFile.open(path)) {
      return fromGguf(file);
    }
  }

  private static String specialToken(GgufMetadata meta, String idKey) {
    if (!meta.contains(idKey) || !meta.contains("tokenizer.ggml.tokens")) {
      return "";
    }
    int id = meta.getInt(idKey);
    String[] tokens = meta.getStringArray("tokenizer.ggml.tokens");
    return id >= 0 && id < tokens.length ? tokens[id] : "";
  }

  /** The same template with another clock for {@code strftime_now}. */
  public ChatTemplate withClock(Clock newClock) {
    return new ChatTemplate(name, source, isFallback, bosToken, eosToken, newClock);
  }

  /** The same template with other default BOS and EOS tokens. */
  public ChatTemplate withSpecialTokens(String bos, String eos) {
    return new ChatTemplate(name, source, isFallback, bos, eos, clock);
  }

  public String name() {
    return name;
  }

  public String source() {
    return source;
  }

  /** Whether this is the ChatML fallback for a model without a template. */
  public boolean isFallback() {
    return isFallback;
  }

  public String bosToken() {
    return bosToken;
  }

  public String eosToken() {
    return eosToken;
  }

  /** Renders the prompt; throws {@link ChatTemplateException} naming this template on failure. */
  public String render(TemplateInput input) {
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("bos_token", input.bosToken() != null ? input.bosToken() : bosToken);
    vars.put("eos_token", input.eosToken() != null ? input.eosToken() : eosToken);
    // Jinja2 globals are variables too: templates test `strftime_now is defined`. Calls still go
    // to the registered functions; these placeholders only make the names defined.
    vars.put("raise_exception", "<function raise_exception>");
    vars.put("strftime_now", "<function strftime_now>");
    vars.putAll(copy(input.kwargs()));
    vars.put("messages", copy(input.messages()));
    if (input.tools() != null) {
      vars.put("tools", copy(input.tools()));
    }
    vars.put("add_generation_prompt", input.addGenerationPrompt());
    RenderResult result;
    NOW.set(ZonedDateTime.now(clock));
    try {
      result = Engine.JINJAVA.renderForResult(prepared, vars);
    } catch (RuntimeException e) {
      throw new ChatTemplateException(name, String.valueOf(e.getMessage()), e);
    } finally {
      NOW.remove();
    }
    for (TemplateError error : result.getErrors()) {
      RaisedException raised = raised(error.getException());
      if (raised != null) {
        throw new ChatTemplateException(
            name, "raise_exception: " + raised.getMessage(), error.getException());
      }
    }
    for (TemplateError error : result.getErrors()) {
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new ChatTemplateException(
            name, error.getMessage() + " (line " + error.getLineno() + ")", error.getException());
      }
    }
    return result.getOutput();
  }

  private static @Nullable RaisedException raised(@Nullable Throwable t) {
    for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
      if (t instanceof RaisedException r) {
        return r;
      }
    }
    return null;
  }

  /** Deep copy into mutable Java collections (templates may {@code set} into namespaces). */
  @SuppressWarnings("unchecked")
  private static <T> T copy(T value) {
    if (value instanceof Map<?, ?> map) {
      Map<Object, @Nullable Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(k, v == null ? null : copy(v)));
      return (T) out;
    }
    if (value instanceof List<?> list) {
      List<@Nullable Object> out = new ArrayList<>(list.size());
      list.forEach(v -> out.add(v == null ? null : copy(v)));
      return (T) out;
    }
    return value;
  }

  // ---- Jinjava set-up -----------------------------------------------------------------------

  /**
   * Thrown by {@code raise_exception}; Jinjava records it as an error, {@link #render} rethrows.
   */
  static final class RaisedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RaisedException(String message) {
      super(message);
    }
  }

  /** {@code raise_exception(msg)} in templates. */
  public static String raiseException(@Nullable Object message) {
    throw new RaisedException(String.valueOf(message));
  }

  /** {@code strftime_now(format)} in templates: the render's clock, Python strftime codes. */
  public static String strftimeNow(String format) {
    ZonedDateTime now = NOW.get();
    return StrftimeFormatter.format(now != null ? now : ZonedDateTime.now(), format);
  }

  private static final class Engine {
    static final Jinjava JINJAVA = create();

    private static Jinjava create() {
      CompositeELResolver resolver = new CompositeELResolver();
      resolver.add(new PyMethods());
      resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
      JinjavaConfig config =
          JinjavaConfig.newBuilder()
              .withTrimBlocks(true)
              .withLstripBlocks(true)
              .withElResolver(resolver)
              .withLegacyOverrides(
                  LegacyOverrides.newBuilder()
                      .withUseTrimmingForNotesAndExpressions(true)
                      .withUseNaturalOperatorPrecedence(true)
                      .withParseWhitespaceControlStrictly(true)
                      .withEvaluateMapKeys(true)
                      .withIterateOverMapKeys(true)
                      .withKeepNullableLoopValues(true)
                      .build())
              .build();
      Jinjava jinjava = new Jinjava(config);
      jinjava.registerFunction(
          new ELFunctionDefinition(
              "", "raise_exception", ChatTemplate.class, "raiseException", Object.class));
      jinjava.registerFunction(
          new ELFunctionDefinition(
              "", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
      jinjava.registerFilter(new ToJsonFilter());
      jinjava.registerFilter(new ItemsFilter());
      jinjava.registerFilter(new SelectFilter());
      jinjava.registerFilter(new IndentFilter());
      jinjava.registerExpTest(new IterableTest());
      jinjava.registerTag(new FilterBlockTag());
      return jinjava;
    }
  }

  /** {@code tojson} as transformers defines it: {@code json.dumps(x, ensure_ascii=False, ...)}. */
  private static final class ToJsonFilter implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(
        @Nullable Object var,
        JinjavaInterpreter interpreter,
        Object[] args,
        Map<String, Object> kwargs) {
      Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : arg(args, 1);
      Object ascii = kwargs.containsKey("ensure_ascii") ? kwargs.get("ensure_ascii") : arg(args, 0);
      Object sort = kwargs.get("sort_keys");
      return PyJson.dumps(
          var,
          indent instanceof Number n ? Integer.valueOf(n.intValue()) : null,
          Boolean.TRUE.equals(ascii),
          Boolean.TRUE.equals(sort));
    }

    private static @Nullable Object arg(Object[] args, int index) {
      return args.length > index ? args[index] : null;
    }
  }

  /** Jinja2's {@code items} filter: a mapping's key/value pairs. */
  private static final class ItemsFilter implements Filter {
    @Override
    public String getName() {
      return "items";
    }

    @Override
    public Object filter(@Nullable Object var, JinjavaInterpreter interpreter, String... args) {
      return var instanceof Map<?, ?> map ? PyMethods.items(map) : List.of();
    }
  }

  /** {@code for X in ITEMS if COND}, as {@link TemplateSource} rewrites it: keeps the items. */
  private static final class SelectFilter implements Filter {
    @Override
    public String getName() {
      return "__py_select";
    }

    @Override
    public Object filter(@Nullable Object var, JinjavaInterpreter interpreter, String... args) {
      List<@Nullable Object> kept = new ArrayList<>();
      if (var == null || args.length < 2) {
        return kept;
      }
      String[] targets = args[1].split(",");
      ForLoop items = ObjectIterator.getLoop(var);
      while (items.hasNext()) {
        Object item = items.next();
        try (var scope = interpreter.enterScope()) {
          List<?> parts = targets.length == 1 ? List.of() : unpack(item);
          for (int t = 0; t < targets.length; t++) {
            Object value = targets.length == 1 ? item : t < parts.size() ? parts.get(t) : null;
            interpreter.getContext().put(targets[t].strip(), value);
          }
          if (ObjectTruthValue.evaluate(
              interpreter.resolveELExpression(args[0], interpreter.getLineNumber()))) {
            kept.add(item);
          }
        }
      }
      return kept;
    }

    private static List<?> unpack(@Nullable Object item) {
      if (item instanceof Map.Entry<?, ?> e) {
        return java.util.Arrays.asList(e.getKey(), e.getValue());
      }
      return item instanceof List<?> list ? list : List.of();
    }
  }

  /** Jinja2's {@code indent(width=4, first=False, blank=False)}; Jinjava's lacks the options. */
  private static final class IndentFilter implements Filter {
    @Override
    public String getName() {
      return "indent";
    }

    @Override
    public Object filter(@Nullable Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(
        @Nullable Object var,
        JinjavaInterpreter interpreter,
        Object[] args,
        Map<String, Object> kwargs) {
      Object width = kwargs.containsKey("width") ? kwargs.get("width") : arg(args, 0, 4);
      boolean first = ObjectTruthValue.evaluate(kwargs.getOrDefault("first", arg(args, 1, false)));
      boolean blank = ObjectTruthValue.evaluate(kwargs.getOrDefault("blank", arg(args, 2, false)));
      String indention =
          width instanceof Number n
              ? " ".repeat(n.intValue())
              : width instanceof String w && !w.matches("\\d+")
                  ? w
                  : " ".repeat(Integer.parseInt(String.valueOf(width)));
      List<String> lines =
          new ArrayList<>(List.of((String.valueOf(var) + "\n").split("\r\n|\r|\n", -1)));
      lines.removeLast();
      StringBuilder out = new StringBuilder(first ? indention : "");
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (i > 0) {
          out.append('\n').append(blank || !line.isEmpty() ? indention : "");
        }
        out.append(line);
      }
      return out.toString();
    }

    private static Object arg(Object[] args, int index, Object fallback) {
      Object value = args.length > index ? args[index] : null;
      return value != null ? value : fallback;
    }
  }

  /** Python's {@code is iterable}: strings and mappings are iterable too. */
  private static final class IterableTest implements ExpTest {
    @Override
    public String getName() {
      return "iterable";
    }

    @Override
    public boolean evaluate(@Nullable Object var, JinjavaInterpreter interpreter, Object... args) {
      return var instanceof CharSequence
          || var instanceof Collection<?>
          || var instanceof Map<?, ?>
          || var instanceof Iterable<?>
          || (var != null && var.getClass().isArray());
    }
  }

  /** Jinja2's {@code {% filter NAME %}...{% endfilter %}} block, which Jinjava lacks. */
  private static final class FilterBlockTag implements Tag {
    private static final long serialVersionUID = 1L;
    private static final String BODY = "__shelf_filter_body__";

    @Override
    public String getName() {
      return "filter";
    }

    @Override
    public String getEndTagName() {
      return "endfilter";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      StringBuilder body = new StringBuilder();
      for (Node child : tagNode.getChildren()) {
        body.append(child.render(interpreter).getValue());
      }
      interpreter.getContext().put(BODY, body.toString());
      Object value =
          interpreter.resolveELExpression(
              BODY + "|" + tagNode.getHelpers().trim(), tagNode.getLineNumber());
      return value == null ? "" : value.toString();
    }
  }
}
