package dev.shelf.gateway.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.catalog.ModelMap.Info;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ModelMapTest {
  private static final ModelMap MAP = ModelMap.builtIn();

  @Test
  void loadsWithUniqueIds() {
    assertThat(MAP.asOf()).matches("\\d{4}-\\d{2}-\\d{2}");
    assertThat(MAP.models()).hasSizeGreaterThanOrEqualTo(90);
    var ids = new HashSet<String>();
    for (Info i : MAP.models()) {
      assertThat(ids.add(i.id().toLowerCase(Locale.ROOT))).as("duplicate id %s", i.id()).isTrue();
    }
  }

  static Stream<Info> models() {
    return ModelMap.builtIn().models().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void everyEntryIsComplete(Info i) {
    assertThat(i.id()).matches("[a-z0-9][a-z0-9._\\-]*");
    assertThat(i.name()).isNotBlank().isNotEqualTo("null");
    assertThat(i.vendor()).isNotBlank().isNotEqualTo("null");
    assertThat(i.family()).isNotBlank().isNotEqualTo("null");
    assertThat(i.country()).matches("[A-Z]{2}");
    assertThat(i.context()).isPositive();
    assertThat(i.inputModalities()).contains("text");
    assertThat(i.outputModalities()).isNotEmpty();
    Price p = i.price();
    if (p != null) {
      assertThat(p.currency()).isIn("USD", "CNY", "EUR");
      assertThat(p.input()).isNotNegative();
      assertThat(p.output()).isNotNegative();
      Double cached = p.cachedInput();
      if (cached != null) {
        assertThat(cached).isBetween(0.0, p.input());
      }
    }
    if (i.activeParamsB() != null) {
      assertThat(i.paramsB()).isNotNull();
      assertThat(i.activeParamsB()).isLessThanOrEqualTo(Objects.requireNonNull(i.paramsB()));
    }
    // Every name of a model leads back to that model (no alias is shadowed by another entry).
    assertThat(MAP.find(i.id())).isSameAs(i);
    for (String alias : i.aliases()) {
      assertThat(MAP.find(alias)).as("alias %s", alias).isSameAs(i);
    }
  }

  @ParameterizedTest
  @CsvSource({
    "gpt-4o, gpt-4o",
    "GPT-4o, gpt-4o",
    "gpt-4o-2024-08-06, gpt-4o",
    "openai/gpt-4o, gpt-4o",
    "azure/openai/gpt-4o-mini, gpt-4o-mini",
    "Qwen/Qwen3-8B, qwen3-8b",
    "qwen3:8b, qwen3-8b",
    "someone/qwen3-8b, qwen3-8b",
    "openai/gpt-oss-120b, gpt-oss-120b",
    "gpt-oss:20b, gpt-oss-20b"
  })
  void findsByIdAliasAndVendorPrefix(String name, String id) {
    Info i = MAP.find(name);
    assertThat(i).as(name).isNotNull();
    assertThat(Objects.requireNonNull(i).id()).isEqualTo(id);
  }

  @Test
  void unknownNamesAreNotFound() {
    assertThat(MAP.find("no-such-model")).isNull();
    assertThat(MAP.find("vendor/no-such-model")).isNull();
    assertThat(MAP.find("")).isNull();
  }

  @Test
  void aWellKnownEntryInFull() {
    Info i = Objects.requireNonNull(MAP.find("gpt-4o"));
    assertThat(i.vendor()).isEqualTo("openai");
    assertThat(i.country()).isEqualTo("US");
    assertThat(i.openWeights()).isFalse();
    assertThat(i.context()).isEqualTo(128000);
    assertThat(i.maxOutput()).isEqualTo(16384);
    assertThat(i.inputModalities()).containsExactly("text", "image");
    assertThat(i.capabilities()).contains("tools", "vision");
    assertThat(i.price()).isEqualTo(new Price(2.5, 10, 1.25, "USD"));
    Info q = Objects.requireNonNull(MAP.find("qwen3-8b"));
    assertThat(q.openWeights()).isTrue();
    assertThat(q.paramsB()).isEqualTo(8.2);
    assertThat(q.price()).isEqualTo(new Price(0.5, 2, null, "CNY"));
  }
}
