package dev.shelf.providers.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryAfterTest {
  private static Headers headers(String... nameValues) {
    var m = new LinkedHashMap<String, String>();
    for (int i = 0; i < nameValues.length; i += 2) {
      m.put(nameValues[i].toLowerCase(Locale.ROOT), nameValues[i + 1]);
    }
    return name -> m.getOrDefault(name.toLowerCase(Locale.ROOT), "");
  }

  @ParameterizedTest
  @CsvSource({
    "Retry-After, 7, 7000",
    "retry-after, 1.5, 1500",
    "retry-after, ' 20 ', 20000",
    "retry-after, 0, 0",
    "retry-after, -5, 0",
    "retry-after, 999999999, 86400000",
    "retry-after-ms, 250, 250",
    "Retry-After-Ms, 12.9, 12",
    "retry-after-ms, ' 40 ', 40",
    "retry-after-ms, 1e12, 86400000"
  })
  void retryAfterForms(String header, String value, long millis) {
    assertThat(RetryAfter.millis(headers(header, value))).isEqualTo(millis);
  }

  @Test
  void retryAfterMsWinsOverRetryAfter() {
    assertThat(RetryAfter.millis(headers("retry-after", "9", "retry-after-ms", "300")))
        .isEqualTo(300L);
    assertThat(RetryAfter.millis(headers("retry-after", "9", "retry-after-ms", "x")))
        .as("a bad retry-after-ms falls back to retry-after")
        .isEqualTo(9000L);
  }

  @Test
  void retryAfterHttpDate() {
    String in30s =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30));
    assertThat(RetryAfter.millis(headers("retry-after", in30s))).isBetween(27_000L, 30_000L);
    assertThat(RetryAfter.parse(in30s)).isBetween(27_000L, 30_000L);
    String past = "Wed, 21 Oct 2015 07:28:00 GMT";
    assertThat(RetryAfter.millis(headers("retry-after", past))).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"soon", "", "  ", "NaN", "Someday, 99 Foo 2015 07:28:00 GMT"})
  void unreadableRetryAfterIsNull(String value) {
    assertThat(RetryAfter.millis(headers("retry-after", value))).isNull();
    assertThat(RetryAfter.parse(value)).isNull();
    assertThat(RetryAfter.millis(headers())).isNull();
  }

  @Test
  void parseReadsOnlyTheRetryAfterValue() {
    assertThat(RetryAfter.parse("7")).isEqualTo(7000L);
    assertThat(RetryAfter.parse(" 2.5 ")).isEqualTo(2500L);
    assertThat(RetryAfter.parse("86401")).isEqualTo(86_400_000L);
  }
}
