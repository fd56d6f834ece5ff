package dev.shelf.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.catalog.Price;
import dev.shelf.gateway.config.ShelfConfig.Resilience;
import dev.shelf.gateway.config.ShelfConfig.RouteSpec;
import dev.shelf.gateway.config.ShelfConfig.StaticKey;
import dev.shelf.gateway.config.ShelfConfig.Strategy;
import dev.shelf.providers.spi.ProviderSpec;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
  private static final Map<String, String> ENV =
      Map.of(
          "OPENAI_API_KEY", "sk-test-0123456789",
          "MASTER", "master-key-0123456789",
          "EMPTY", "",
          "PORT", "9090");

  private static ShelfConfig parse(String yaml) {
    return new ConfigLoader(ENV).parse("shelf.yaml", yaml);
  }

  private static final String FULL =
      """
      server:
        host: 0.0.0.0
        port: ${PORT}
        max_body_bytes: 1_048_576
        shutdown_grace: 10s
        access_log: no
      auth:
        master_key: ${MASTER}
        keys:
          - name: team-a
            key: team-a-key-0123456789
            models: [gpt-4o, local-qwen]
          - key: anon-key-0123456789ab
      providers:
        oai:
          preset: openai
          api_key: ${OPENAI_API_KEY}
        local:
          type: openai
          base_url: ${VLLM_URL:-http://127.0.0.1:8000/v1}
          headers:
            x-team: "${TEAM:-core}-${EMPTY:-fallback}"
          connect_timeout: 250ms
          options:
            note: plain
            list: [a, b]
      models:
        - id: gpt-4o
          provider: oai
          context: 128000
          max_output: 16384
          modalities: {input: [text, image], output: [text]}
          capabilities: [tools, vision, json]
          price: {input: 2.5, output: 10, cached_input: 1.25}
          owned_by: openai
        - id: local-qwen
          provider: local
          upstream: Qwen/Qwen3-8B
          price: {input: 0.5, output: 2, currency: cny}
          weight: 3
          priority: -5
          preload: true
      routes:
        - id: smart
          strategy: least-busy
          targets: [gpt-4o, local-qwen]
          fallbacks: [local-qwen]
        - id: local-qwen
      resilience:
        max_attempts: 4
        backoff_base: 100ms
        backoff_max: 3s
        connect_timeout: 2s
        first_token_timeout: 1.5m
        total_timeout: 1h
        breaker_failures: 3
        breaker_open: 45
        cooldown: 500ms
      """;

  @Test
  void aFullValidConfig() {
    ShelfConfig c = parse(FULL);
    assertThat(c.source()).isEqualTo("shelf.yaml");
    assertThat(c.server())
        .isEqualTo(
            new ShelfConfig.Server("0.0.0.0", 9090, 1_048_576, Duration.ofSeconds(10), false));
    assertThat(c.auth().masterKey()).isEqualTo("master-key-0123456789");
    assertThat(c.auth().keys())
        .containsExactly(
            new StaticKey("team-a", "team-a-key-0123456789", List.of("gpt-4o", "local-qwen")),
            new StaticKey("key-1", "anon-key-0123456789ab", List.of()));
    assertThat(c.auth().open()).isFalse();

    assertThat(c.providers()).containsOnlyKeys("oai", "local");
    ProviderSpec oai = Objects.requireNonNull(c.providers().get("oai"));
    assertThat(oai.type()).isEqualTo("openai");
    assertThat(oai.preset()).isEqualTo("openai");
    assertThat(oai.baseUrl()).isNull();
    assertThat(oai.apiKey()).isEqualTo("sk-test-0123456789");
    assertThat(oai.connectTimeout()).as("from resilience").isEqualTo(Duration.ofSeconds(2));
    ProviderSpec local = Objects.requireNonNull(c.providers().get("local"));
    assertThat(local.baseUrl()).isEqualTo("http://127.0.0.1:8000/v1");
    assertThat(local.apiKey()).isNull();
    assertThat(local.headers()).isEqualTo(Map.of("x-team", "core-fallback"));
    assertThat(local.connectTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(local.options()).isEqualTo(Map.of("note", "plain", "list", List.of("a", "b")));

    assertThat(c.models())
        .containsExactly(
            new ModelSpec(
                "gpt-4o",
                "oai",
                "gpt-4o",
                128000,
                16384,
                List.of("text", "image"),
                List.of("text"),
                Set.of("tools", "vision", "json"),
                new Price(2.5, 10, 1.25, "USD"),
                1,
                0,
                "openai"),
            new ModelSpec(
                "local-qwen",
                "local",
                "Qwen/Qwen3-8B",
                null,
                null,
                List.of("text"),
                List.of("text"),
                Set.of(),
                new Price(0.5, 2, null, "CNY"),
                3,
                -5,
                null,
                true));
    assertThat(c.models().get(1).deploymentId()).isEqualTo("local/Qwen/Qwen3-8B");
    assertThat(c.routes())
        .containsExactly(
            new RouteSpec(
                "smart",
                Strategy.LEAST_BUSY,
                List.of("gpt-4o", "local-qwen"),
                List.of("local-qwen")),
            new RouteSpec("local-qwen", Strategy.PRIORITY, List.of(), List.of()));
    assertThat(c.resilience())
        .isEqualTo(
            new Resilience(
                4,
                Duration.ofMillis(100),
                Duration.ofSeconds(3),
                Duration.ofSeconds(2),
                Duration.ofSeconds(90),
                Duration.ofHours(1),
                3,
                Duration.ofSeconds(45),
                Duration.ofMillis(500)));
  }

  @Test
  void theDefaultsAreAnEmptyFilePlusTheBundledEmbeddingModels() {
    ShelfConfig d = new ConfigLoader(ENV).defaults();
    ShelfConfig empty = parse("");
    assertThat(d.server()).isEqualTo(empty.server());
    assertThat(d.auth().open()).isTrue();
    assertThat(d.resilience()).isEqualTo(empty.resilience());
    assertThat(d.routes()).isEmpty();
    assertThat(d.providers()).containsOnlyKeys("embed");
    assertThat(Objects.requireNonNull(d.providers().get("embed")).type()).isEqualTo("onnx");
    assertThat(d.models())
        .extracting(ModelSpec::id)
        .containsExactly("all-minilm-l6-v2", "bge-small-zh-v1.5");
    for (ModelSpec m : d.models()) {
      assertThat(m.upstream()).isEqualTo(m.id());
      assertThat(m.capabilities()).containsExactly("embedding");
      assertThat(m.outputModalities()).containsExactly("embedding");
      assertThat(m.price()).isEqualTo(new Price(0, 0, null, "USD"));
    }
  }

  @Test
  void emptyFile() {
    for (ShelfConfig c : List.of(parse(""), parse("# only a comment\n"))) {
      assertThat(c.server())
          .isEqualTo(
              new ShelfConfig.Server(
                  "127.0.0.1", 8080, 32L * 1024 * 1024, Duration.ofSeconds(30), true));
      assertThat(c.auth().open()).isTrue();
      assertThat(c.providers()).isEmpty();
      assertThat(c.models()).isEmpty();
      assertThat(c.routes()).isEmpty();
      assertThat(c.resilience()).isEqualTo(Resilience.defaults());
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "${HOST}                      | h.example",
        "${HOST:-other}               | h.example",
        "${NOPE:-fallback}            | fallback",
        "${NOPE:-}                    | ''",
        "${EMPTY:-was-empty}          | was-empty",
        "${EMPTY}                     | ''",
        "a-${HOST}-${PORT:-1}-z       | a-h.example-80-z",
        "$HOST and ${NOPE:-x:y/z}     | $HOST and x:y/z",
      })
  void environmentExpansion(String template, String expected) {
    var env = new HashMap<String, String>(Map.of("HOST", "h.example", "PORT", "80", "EMPTY", ""));
    ShelfConfig c =
        new ConfigLoader(env).parse("shelf.yaml", "server:\n  host: \"" + template + "\"\n");
    assertThat(c.server().host()).isEqualTo(expected.equals("''") ? "" : expected);
  }

  @ParameterizedTest
  @CsvSource({
    "500ms, 500",
    "30s, 30000",
    "1.5s, 1500",
    "2m, 120000",
    "1h, 3600000",
    "45, 45000",
    "0, 0"
  })
  void durations(String text, long millis) {
    assertThat(parse("resilience:\n  cooldown: " + text + "\n").resilience().cooldown())
        .isEqualTo(Duration.ofMillis(millis));
  }

  // --------------------------------------------------------------------------- errors

  private static final String PROVIDERS =
      """
      providers:
        oai:
          preset: openai
          api_key: k
      """;
  private static final String MODELS =
      PROVIDERS
          + """
          models:
            - id: a
              provider: oai
            - id: b
              provider: oai
          """;

  /**
   * Each case marks the offending line with {@code #<}; the error must name the file, that line and
   * the key path, then say what is wrong.
   */
  static Stream<Arguments> errors() {
    return Stream.of(
        Arguments.of(
            "servr:  #<\n  port: 1\n", "servr", "unknown key; expected one of [audit, auth,"),
        Arguments.of(
            "server:\n  port: 80\n  hots: x  #<\n", "server.hots", "unknown key; expected one of"),
        Arguments.of(
            "server:\n  port: eighty  #<\n",
            "server.port",
            "must be a whole number but was 'eighty'"),
        Arguments.of(
            "server:\n  port: 70000  #<\n",
            "server.port",
            "must be between 0 and 65535 but was 70000"),
        Arguments.of(
            "server:\n  access_log: maybe  #<\n",
            "server.access_log",
            "must be true or false but was 'maybe'"),
        Arguments.of("server: 8080  #<\n", "server", "must be a mapping"),
        Arguments.of(
            "providers:\n  l: {type: local}\nmodels:\n  - id: m\n    provider: l\n"
                + "    preload: soon  #<\n",
            "models[0].preload",
            "must be true or false but was 'soon'"),
        Arguments.of(
            "providers:\n  oai:\n    preset: openai\n    api_key: k\n    bsae_url: http://x  #<\n",
            "providers.oai.bsae_url",
            "unknown key; expected one of [api_key, base_url,"),
        Arguments.of(
            "providers:\n  oai:\n    preset: opnai  #<\n    api_key: k\n",
            "providers.oai.preset",
            "unknown preset 'opnai'; known presets: ["),
        Arguments.of(
            "providers:\n  oai:\n    type: antropic  #<\n",
            "providers.oai.type",
            "unknown provider type 'antropic'; known types: [anthropic, gemini, local, onnx, openai]"),
        Arguments.of(
            "providers:\n  oai:\n    base_url: http://x  #<\n",
            "providers.oai",
            "needs 'type' (one of [anthropic, gemini, local, onnx, openai]) or 'preset'"),
        Arguments.of(
            "providers:\n  oai:\n    preset: openai\n    api_key: ${OPENAI_KEY}  #<\n",
            "providers.oai.api_key",
            "environment variable OPENAI_KEY is not set"),
        Arguments.of(
            "providers:\n  ds:\n    preset: deepseek  #<\n",
            "providers.ds",
            "preset 'deepseek' needs api_key (usually ${DEEPSEEK_API_KEY})"),
        Arguments.of(
            "providers:\n  ds:\n    type: openai  #<\n    base_url: ftp://x\n",
            "providers.ds",
            "base_url must start with http:// or https://"),
        Arguments.of(
            "providers:\n  oai:\n    preset: openai\n    api_key: k\n    connect_timeout: soon  #<\n",
            "providers.oai.connect_timeout",
            "must be a duration like 500ms, 30s or 5m but was 'soon'"),
        Arguments.of(
            PROVIDERS + "models:\n  - id: a\n    provider: nope  #<\n",
            "models[0].provider",
            "unknown provider 'nope'; providers in this file: [oai]"),
        Arguments.of(
            PROVIDERS + "models:\n  - id: a\n    provider: oai\n  - provider: oai  #<\n",
            "models[1]",
            "missing required key 'id'"),
        Arguments.of(
            PROVIDERS
                + "models:\n  - id: a\n    provider: oai\n    capabilities: [tools, telepathy]  #<\n",
            "models[0].capabilities[1]",
            "unknown capability 'telepathy'"),
        Arguments.of(
            PROVIDERS + "models:\n  - id: a\n    provider: oai\n    contxt: 8  #<\n",
            "models[0].contxt",
            "unknown key"),
        Arguments.of(
            PROVIDERS
                + "models:\n  - id: a\n    provider: oai\n    price: {input: cheap, output: 1}  #<\n",
            "models[0].price.input",
            "must be a number but was 'cheap'"),
        Arguments.of(
            PROVIDERS
                + "models:\n  - id: a\n    provider: oai\n    price: {input: 1, output: 1, currency: dollars}  #<\n",
            "models[0].price.currency",
            "must be a three-letter currency code"),
        Arguments.of(
            PROVIDERS + "models:\n  - id: a\n    provider: oai\n  - id: a  #<\n    provider: oai\n",
            "models[1]",
            "model 'a' is listed twice for provider 'oai'"),
        Arguments.of(
            MODELS + "routes:\n  - id: r\n    targets: [a, ghost]  #<\n",
            "routes[0].targets",
            "target 'ghost' is not a model on the shelf"),
        Arguments.of(
            MODELS + "routes:\n  - id: r\n    strategy: fastest  #<\n    targets: [a]\n",
            "routes[0].strategy",
            "unknown strategy 'fastest'; expected priority, weighted, least-busy,"),
        Arguments.of(
            MODELS + "routes:\n  - id: r\n    targets: [a]\n    fallbacks: [b, nowhere]  #<\n",
            "routes[0].fallbacks",
            "fallback 'nowhere' is not a model or route on the shelf"),
        Arguments.of(
            MODELS + "routes:\n  - id: r  #<\n",
            "routes[0]",
            "needs 'targets' (models on the shelf), or an id that is a model"),
        Arguments.of(
            MODELS + "routes:\n  - id: r\n    targets: [a]\n  - id: r  #<\n    targets: [b]\n",
            "routes[1].id",
            "route 'r' is defined twice"),
        Arguments.of(
            "resilience:\n  first_token_timeout: 10 minutes  #<\n",
            "resilience.first_token_timeout",
            "must be a duration like 500ms, 30s or 5m but was '10 minutes'"),
        Arguments.of(
            "resilience:\n  breaker_open: -5s  #<\n",
            "resilience.breaker_open",
            "must be a duration"),
        Arguments.of(
            "resilience:\n  max_attempts: 0  #<\n",
            "resilience.max_attempts",
            "must be between 1 and 20 but was 0"),
        Arguments.of(
            "auth:\n  master_key: short  #<\n",
            "auth.master_key",
            "must be at least 16 characters long"),
        Arguments.of(
            "auth:\n  keys:\n    - key: abcdefghijklmnop1\n    - key: abcdefghijklmnop1  #<\n",
            "auth.keys[1].key",
            "the same key is listed twice"),
        Arguments.of(
            "audit:\n  default: sometimes  #<\n",
            "audit.default",
            "must be full, hashed or off but was 'sometimes'"),
        Arguments.of(
            "audit:\n  retention: a month  #<\n",
            "audit.retention",
            "must be a duration like 500ms, 30s or 5m but was 'a month'"),
        Arguments.of("audit:\n  keep: all  #<\n", "audit.keep", "unknown key"),
        Arguments.of(
            "labels:\n  explicit:\n    position: middle  #<\n",
            "labels.explicit.position",
            "must be off, start or end but was 'middle'"),
        Arguments.of(
            "labels:\n  explicit: {position: end, text: '  '}  #<\n",
            "labels.explicit.text",
            "must not be blank"),
        Arguments.of("labels:\n  producer: ''  #<\n", "labels.producer", "must be 1 to 256"),
        Arguments.of(
            "labels:\n  enabled: yes\n  signed: true  #<\n",
            "labels.signed",
            "unknown key; expected one of [enabled, explicit, producer]"),
        Arguments.of("server:\n  port: 1\n  port: 2  #<\n", "server.port", "duplicate key"));
  }

  @Test
  void aigcLabelsAreOnByDefaultWithTheExplicitNoticeOff() {
    var d = parse("").labels();
    assertThat(d).isEqualTo(ShelfConfig.Labels.defaults());
    assertThat(d.enabled()).isTrue();
    assertThat(d.producer()).isEqualTo("Shelf");
    assertThat(d.explicitPosition()).isEqualTo(ShelfConfig.LabelPosition.OFF);
    assertThat(d.explicitText()).contains("人工智能生成", "AI-generated");

    var set =
        parse(
                """
                labels:
                  enabled: false
                  producer: " 某公司 "
                  explicit: {position: end, text: 由 AI 生成}
                """)
            .labels();
    assertThat(set)
        .isEqualTo(new ShelfConfig.Labels(false, "某公司", ShelfConfig.LabelPosition.END, "由 AI 生成"));
    // YAML 1.1 would read a bare `off` as false; the loader reads it as the word.
    assertThat(parse("labels: {explicit: {position: off}}").labels().explicitPosition())
        .isEqualTo(ShelfConfig.LabelPosition.OFF);
    assertThat(parse("labels: {explicit: {position: START}}").labels().explicitPosition())
        .isEqualTo(ShelfConfig.LabelPosition.START);
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("errors")
  void errorsNameFileLineAndKey(String yaml, String path, String message) {
    int line = markedLine(yaml);
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> parse(yaml));
    assertThat(e).as("no error for%n%s", yaml).isNotNull();
    assertThat(e.getMessage())
        .as("for%n%s", yaml)
        .startsWith("shelf.yaml:" + line + ": " + path + ": ")
        .contains(message);
  }

  private static int markedLine(String yaml) {
    String[] lines = yaml.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains("#<")) {
        return i + 1;
      }
    }
    throw new IllegalArgumentException("no #< marker in " + yaml);
  }

  @Test
  void yamlSyntaxErrorsNameTheLine() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> parse("server:\n  host: a\n  port: 1: 2\n"));
    assertThat(e.getMessage()).startsWith("shelf.yaml:3: ").contains("mapping values");
  }

  @Test
  void badProviderNames() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> parse("providers:\n  bad name:\n    preset: openai\n"));
    assertThat(e.getMessage())
        .startsWith("shelf.yaml:")
        .contains(": providers.bad name: provider names use letters, digits");
  }

  @Test
  void theContentAuditDefaultsToHashedForThirtyDays() {
    assertThat(parse("server:\n  port: 1\n").audit())
        .isEqualTo(new ShelfConfig.Audit(AuditMode.HASHED, Duration.ofDays(30)));
    assertThat(parse("audit: {default: full, retention: 7d}\n").audit())
        .isEqualTo(new ShelfConfig.Audit(AuditMode.FULL, Duration.ofDays(7)));
    assertThat(parse("audit: {default: off, retention: null}\n").audit())
        .isEqualTo(new ShelfConfig.Audit(AuditMode.OFF, null));
    assertThat(parse("billing: {retention: 90d}\n").billing().retention())
        .isEqualTo(Duration.ofDays(90));
    assertThat(parse("billing: {retention: null}\n").billing().retention()).isNull();
  }

  @Test
  void theLoaderFindsTheOpenAiFactory() {
    assertThat(new ConfigLoader(Map.of()).factories()).containsKey("openai");
  }
}
