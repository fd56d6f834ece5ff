package dev.shelf.providers.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What counts as a secret in upstream error text, for every adapter. */
class SecretsTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "Incorrect key sk-proj-AbC123xyz456_-q. Check it.  | sk-proj-AbC123xyz456_-q",
        "header was Authorization: Bearer eyJhbGciOi.J9x.y | eyJhbGciOi",
        "header was bearer    abc.def                      | abc.def",
        "bad api_key=abcd1234 given                        | abcd1234",
        "bad API-KEY: 'abcd1234' given                     | abcd1234",
        "token 0123456789abcdef0123456789abcdef01 rejected | 0123456789abcdef0123456789abcdef01",
        "x-goog-api-key AIzaSyA1234567890abcdefghijklmnopqrstu invalid | AIzaSyA1234567890abcdef",
        "invalid x-api-key sk-ant-api03-secret123456       | secret123456",
        "header x-api-key: abcd1234 refused                | abcd1234"
      })
  void secretsAreRedacted(String message, String secret) {
    assertThat(Secrets.redact(message)).contains("[redacted]").doesNotContain(secret);
  }

  @Test
  void redactionIsExactAndLeavesOrdinaryWordsAlone() {
    assertThat(Secrets.redact("token 0123456789abcdef0123456789abcdef01 rejected"))
        .isEqualTo("token [redacted] rejected");
    assertThat(Secrets.redact("key sk-abcdef123 and Bearer xyz end"))
        .isEqualTo("key [redacted] and [redacted] end");
    assertThat(Secrets.redact("max_tokens: Field required (key sk-ant-api03-abcdef123)"))
        .isEqualTo("max_tokens: Field required (key [redacted])");
    assertThat(Secrets.redact("bad x-api-key: abcd1234 given"))
        .as("the header's whole name goes with the value")
        .isEqualTo("bad [redacted] given");
    String ordinary = "Invalid 'temperature': 3 is out of range; expected a value between 0 and 2.";
    assertThat(Secrets.redact(ordinary)).isEqualTo(ordinary);
    String model = "model claude-sonnet-4-5-20250929 and gpt-4o-mini-2024-07-18 are fine";
    assertThat(Secrets.redact(model)).isEqualTo(model);
  }

  @Test
  void longMessagesAreCutAfterRedaction() {
    String exactly500 = "word ".repeat(100);
    assertThat(Secrets.redact(exactly500)).isEqualTo(exactly500);
    String long600 = "word ".repeat(120);
    assertThat(Secrets.redact(long600)).hasSize(503).isEqualTo(long600.substring(0, 500) + "...");
    // A secret straddling the cut is redacted first, so no prefix of it survives.
    String straddling = "word ".repeat(99) + "sk-ABCDEFGHIJKLMNOP trailing";
    assertThat(Secrets.redact(straddling)).doesNotContain("sk-").doesNotContain("ABCDEF");
  }
}
