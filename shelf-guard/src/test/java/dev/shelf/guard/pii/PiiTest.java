package dev.shelf.guard.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PiiTest {
  private static final Clock CLOCK =
      Clock.fixed(
          LocalDate.of(2026, 6, 1).atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
  private static final PiiDetector DETECTOR = PiiDetector.all().withClock(CLOCK);
  private static final int[] REGIONS = {11, 31, 44, 51, 65, 81};

  static String residentId(Random random, boolean validCheck) {
    LocalDate born = LocalDate.of(1930, 1, 1).plusDays(random.nextInt(365 * 90));
    String first17 =
        REGIONS[random.nextInt(REGIONS.length)]
            + String.format("%04d", random.nextInt(10_000))
            + born.toString().replace("-", "")
            + String.format("%03d", random.nextInt(1000));
    char check = Validators.residentIdCheckChar(first17);
    if (!validCheck) {
      String others = "0123456789X".replace(String.valueOf(check), "");
      check = others.charAt(random.nextInt(others.length()));
    }
    return first17 + check;
  }

  @Test
  void residentIdsWithValidAndInvalidCheckDigitsAreToldApart() {
    Random random = new Random(2026);
    int withX = 0;
    for (int i = 0; i < 5_000; i++) {
      String valid = residentId(random, true);
      String invalid = residentId(random, false);
      withX += valid.endsWith("X") ? 1 : 0;
      assertThat(DETECTOR.detect("身份证号 " + valid + " 请核对"))
          .as(valid)
          .extracting(PiiMatch::type)
          .containsExactly(PiiType.ID_CARD);
      assertThat(DETECTOR.detect("身份证号 " + invalid + " 请核对"))
          .as(invalid)
          .extracting(PiiMatch::type)
          .doesNotContain(PiiType.ID_CARD);
      assertThat(Validators.isResidentId(valid.toLowerCase(), LocalDate.now(CLOCK))).isTrue();
    }
    assertThat(withX).isGreaterThan(100); // the X check character was exercised
  }

  @Test
  void residentIdsNeedARealBirthDateAndRegion() {
    LocalDate today = LocalDate.now(CLOCK);
    String feb30 = "11010119900230123";
    assertThat(Validators.isResidentId(feb30 + Validators.residentIdCheckChar(feb30), today))
        .isFalse();
    String future = "11010120300101123";
    assertThat(Validators.isResidentId(future + Validators.residentIdCheckChar(future), today))
        .isFalse();
    String region99 = "99010119900101123";
    assertThat(Validators.isResidentId(region99 + Validators.residentIdCheckChar(region99), today))
        .isFalse();
    assertThat(Validators.isResidentId("11010519491231002X", today)).isTrue(); // GB 11643 example
  }

  @Test
  void luhnSeparatesCardsFromNearMisses() {
    assertThat(Validators.luhn("4111111111111111")).isTrue();
    assertThat(Validators.luhn("6222021234567890128")).isTrue();
    assertThat(Validators.luhn("4111111111111112")).isFalse();
    assertThat(DETECTOR.detect("card 4111 1111 1111 1112")).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ID_CARD|11010519491231002X",
        "ID_CARD|11010519491231002x",
        "PHONE|13800138000",
        "PHONE|+86 138 0013 8000",
        "PHONE|0086-139-1234-5678",
        "PHONE|8615912345678",
        "PHONE|１３８００１３８０００",
        "BANK_CARD|6222021234567890128",
        "BANK_CARD|4111-1111-1111-1111",
        "BANK_CARD|4111 1111 1111 1111",
        "EMAIL|zhang.san+shelf@example.com.cn",
        "IP_ADDRESS|192.168.1.20",
        "IP_ADDRESS|2001:db8::8a2e:370:7334",
        "IP_ADDRESS|fe80::1",
        "IP_ADDRESS|::ffff:10.0.0.1",
        "PASSPORT|E12345678",
        "PASSPORT|G87654321",
        "PASSPORT|EA1234567"
      })
  void everyTypeIsDetectedRedactedAndRestored(PiiType type, String value) {
    String text = "请联系 " + value + "，谢谢。Also: " + value + ".";
    List<PiiMatch> found = DETECTOR.detect(text);
    assertThat(found).extracting(PiiMatch::type).containsExactly(type, type);
    assertThat(found).extracting(PiiMatch::value).containsOnly(value);

    Redactor redactor = new Redactor(DETECTOR, Confidence.MEDIUM);
    Redacted redacted = redactor.redact(text);
    String placeholder = type.placeholder(1);
    assertThat(redacted.text()).isEqualTo("请联系 " + placeholder + "，谢谢。Also: " + placeholder + ".");
    assertThat(redacted.text()).doesNotContain(value);
    assertThat(redacted.mapping()).containsExactly(Map.entry(placeholder, value));
    assertThat(Redactor.restore(redacted.text(), redacted.mapping())).isEqualTo(text);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "version 1.2.3.456 is out", // 456 is no octet
        "256.1.1.1",
        "01.2.3.4",
        "at 12:30:45 today",
        "std::vector and dead::beef",
        "order 12345678901234 shipped", // fails Luhn
        "call 12800138000", // 12x is no mobile prefix
        "id 110105194912310021", // wrong check digit
        "mail me at a..b@example.com",
        "route A1234567 then left" // generic passport shape, no context: LOW, not redacted
      })
  void lookAlikesAreNotRedacted(String text) {
    assertThat(Redactor.standard().redact(text).text()).isEqualTo(text);
  }

  @Test
  void genericPassportsNeedContextAndAreFlaggedLower() {
    assertThat(DETECTOR.detect("ticket K1234567 issued"))
        .singleElement()
        .extracting(PiiMatch::confidence)
        .isEqualTo(Confidence.LOW);
    assertThat(DETECTOR.detect("my passport number is K1234567"))
        .singleElement()
        .extracting(PiiMatch::confidence)
        .isEqualTo(Confidence.MEDIUM);
    assertThat(Redactor.standard().redact("护照号码：K1234567").text()).isEqualTo("护照号码：[PASSPORT_1]");
  }

  @Test
  void aMixedRequestRoundTripsWithDistinctNumbering() {
    String text =
        "我是张三，身份证11010519491231002X，手机13800138000，备用手机 139-1234-5678，"
            + "卡号6222021234567890128，邮箱zs@example.com，服务器10.0.0.8和2001:db8::1，"
            + "护照E12345678。再说一次：13800138000。";
    Redacted redacted = Redactor.standard().redact(text);
    assertThat(redacted.text())
        .isEqualTo(
            "我是张三，身份证[ID_CARD_1]，手机[PHONE_1]，备用手机 [PHONE_2]，"
                + "卡号[BANK_CARD_1]，邮箱[EMAIL_1]，服务器[IP_ADDRESS_1]和[IP_ADDRESS_2]，"
                + "护照[PASSPORT_1]。再说一次：[PHONE_1]。");
    assertThat(Redactor.restore(redacted.text(), redacted.mapping())).isEqualTo(text);
    String reply = "好的，[PHONE_2] 和 [EMAIL_1] 已记录；[PHONE_9] 未知。";
    assertThat(Redactor.restore(reply, redacted.mapping()))
        .isEqualTo("好的，139-1234-5678 和 zs@example.com 已记录；[PHONE_9] 未知。");
  }

  @Test
  void placeholdersTheUserTypedAreNeverReused() {
    String text = "literal [PHONE_1] then 13800138000";
    Redacted redacted = Redactor.standard().redact(text);
    assertThat(redacted.text()).isEqualTo("literal [PHONE_1] then [PHONE_2]");
    assertThat(Redactor.restore(redacted.text(), redacted.mapping())).isEqualTo(text);
  }

  @Test
  void aStreamedResponseIsRestoredAtEverySplit() {
    Map<String, String> mapping = Map.of("[PHONE_1]", "13800138000", "[IP_ADDRESS_12]", "10.0.0.8");
    String response = "Call [PHONE_1] from [IP_ADDRESS_12] [not a placeholder] [PHONE_1]";
    String expected = "Call 13800138000 from 10.0.0.8 [not a placeholder] 13800138000";
    for (int i = 0; i <= response.length(); i++) {
      for (int j = i; j <= response.length(); j++) {
        Redactor.StreamRestorer restorer = Redactor.streamRestorer(mapping);
        String out =
            restorer.accept(response.substring(0, i))
                + restorer.accept(response.substring(i, j))
                + restorer.accept(response.substring(j))
                + restorer.finish();
        assertThat(out).as("split at %d, %d", i, j).isEqualTo(expected);
      }
    }
  }
}
