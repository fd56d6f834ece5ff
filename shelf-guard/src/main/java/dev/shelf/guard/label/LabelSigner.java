package dev.shelf.guard.label;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs implicit labels with HMAC-SHA256 so that the holder of the key can later tell whether it
 * produced a given text, and verifies them.
 *
 * <p>The signature lives in {@code ReservedCode1} (the standard's field for the producer's
 * protection information) as {@code shelf1.<id tag>.<text tag>}, both base64url without padding:
 *
 * <ul>
 *   <li>the <em>id tag</em> (128 bits) is the HMAC of {@code Label}, {@code ContentProducer} and
 *       {@code ProduceID}: it says this key issued this label. It can be made before any text
 *       exists ({@link #stamp}), which is what a stream's header carries.
 *   <li>the <em>text tag</em> (256 bits) is the HMAC of the same three fields and the SHA-256 of
 *       the generated text, NFC-normalised and UTF-8 encoded: it binds the label to that exact
 *       text. No other normalisation: a changed character, space or line break is a different text.
 * </ul>
 *
 * <p>Each MAC input is a domain string followed by length-prefixed fields, so no two different
 * field tuples read the same. The propagator fields ({@code ContentPropagator}, {@code
 * PropagateID}, {@code ReservedCode2}) are not signed: whoever spreads the content may fill them.
 *
 * <p>The two tags let {@link #verify} tell a label it never issued (or whose signed fields were
 * changed: {@link Verdict#FOREIGN}) from its own label over a text that is not what it produced
 * ({@link Verdict#TAMPERED}). Comparisons are constant-time. Thread-safe.
 */
public final class LabelSigner {
  /** The prefix of a Shelf signature in {@code ReservedCode1}. */
  public static final String SCHEME = "shelf1";

  private static final int ID_TAG_BYTES = 16;
  private static final int TEXT_TAG_BYTES = 32;
  private static final byte[] ID_DOMAIN = "shelf-aigc-id\0".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TEXT_DOMAIN = "shelf-aigc-text\0".getBytes(StandardCharsets.US_ASCII);
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder UNB64 = Base64.getUrlDecoder();
  private static final MessageDigest SHA256 = newSha256();

  private final SecretKeySpec key;

  /** Keyed once; each signature works on a clone (no provider lookup or key setup per answer). */
  private final Mac keyed;

  /** A signer over {@code key}, at least 32 bytes (say, derived from Shelf's secret key). */
  public LabelSigner(byte[] key) {
    if (key.length < 32) {
      throw new IllegalArgumentException(
          "a label signing key must be at least 32 bytes but was " + key.length);
    }
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    this.keyed = freshMac();
  }

  /** What {@link #verify} concluded. */
  public enum Verdict {
    /** Issued by this key for exactly this text. */
    VALID,
    /** Issued by this key, but for another text: the text (or the text signature) was changed. */
    TAMPERED,
    /**
     * Not verifiable as this key's: no Shelf signature, a malformed one, another key's, a label
     * whose signed fields were changed, or one that carries no text signature (a stream's header).
     */
    FOREIGN;

    /** The lower-case name the API uses. */
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A verdict and, for people, why. */
  public record Verification(Verdict verdict, String reason) {
    public boolean valid() {
      return verdict == Verdict.VALID;
    }
  }

  /**
   * The label with only the id tag in {@code ReservedCode1}: for a stream's header, sent before the
   * text exists. It proves the label was issued here, not what text it goes with.
   */
  public AigcLabel stamp(AigcLabel label) {
    return label.withReservedCode1(SCHEME + "." + B64.encodeToString(idTag(label)));
  }

  /** The label signed for {@code text}: id tag and text tag in {@code ReservedCode1}. */
  public AigcLabel sign(AigcLabel label, CharSequence text) {
    return seal(stamp(label), text);
  }

  /**
   * A label {@linkplain #stamp stamped} by this signer, now signed for {@code text}: the stamp's id
   * tag is kept and the text tag added, so a stream's header label and its final one share one id
   * tag computation.
   */
  public AigcLabel seal(AigcLabel stamped, CharSequence text) {
    String code = stamped.reservedCode1();
    if (!code.startsWith(SCHEME + ".") || code.indexOf('.', SCHEME.length() + 1) >= 0) {
      throw new IllegalArgumentException("not a stamped label: " + code);
    }
    return stamped.withReservedCode1(code + "." + B64.encodeToString(textTag(stamped, text)));
  }

  /** Whether {@code label} is this key's signature over exactly {@code text}. */
  public Verification verify(AigcLabel label, CharSequence text) {
    String code = label.reservedCode1();
    if (!code.startsWith(SCHEME + ".")) {
      return foreign("ReservedCode1 holds no Shelf signature");
    }
    String[] parts = code.substring(SCHEME.length() + 1).split("\\.", -1);
    if (parts.length > 2) {
      return foreign("ReservedCode1 is not a Shelf signature (too many parts)");
    }
    byte[] id = decode(parts[0], ID_TAG_BYTES);
    if (id == null) {
      return foreign("ReservedCode1's id tag is malformed");
    }
    if (!MessageDigest.isEqual(id, idTag(label))) {
      return foreign(
          "not issued by this Shelf (another key), or its Label, ContentProducer or ProduceID"
              + " were changed");
    }
    if (parts.length == 1) {
      return foreign(
          "the label carries no text signature (a stream's header label; the stream's last event"
              + " carries the signed one)");
    }
    byte[] tag = decode(parts[1], TEXT_TAG_BYTES);
    if (tag == null) {
      return foreign("ReservedCode1's text tag is malformed");
    }
    if (!MessageDigest.isEqual(tag, textTag(label, text))) {
      return new Verification(
          Verdict.TAMPERED,
          "issued by this Shelf as " + label.produceId() + ", but for a different text");
    }
    return new Verification(Verdict.VALID, "produced by this Shelf as " + label.produceId());
  }

  private static Verification foreign(String reason) {
    return new Verification(Verdict.FOREIGN, reason);
  }

  private static byte @org.jspecify.annotations.Nullable [] decode(String b64, int length) {
    try {
      byte[] b = UNB64.decode(b64);
      return b.length == length ? b : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private byte[] idTag(AigcLabel l) {
    Mac mac = mac();
    mac.update(ID_DOMAIN);
    signedFields(mac, l);
    return Arrays.copyOf(mac.doFinal(), ID_TAG_BYTES);
  }

  private byte[] textTag(AigcLabel l, CharSequence text) {
    Mac mac = mac();
    mac.update(TEXT_DOMAIN);
    signedFields(mac, l);
    field(mac, digest(text));
    return mac.doFinal();
  }

  private static void signedFields(Mac mac, AigcLabel l) {
    field(mac, utf8(l.label()));
    field(mac, utf8(l.contentProducer()));
    field(mac, utf8(l.produceId()));
  }

  private static void field(Mac mac, byte[] value) {
    int n = value.length;
    mac.update((byte) (n >>> 24));
    mac.update((byte) (n >>> 16));
    mac.update((byte) (n >>> 8));
    mac.update((byte) n);
    mac.update(value);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** SHA-256 of the NFC form of the text, UTF-8 encoded. */
  static byte[] digest(CharSequence text) {
    String nfc = ascii(text) ? text.toString() : Normalizer.normalize(text, Normalizer.Form.NFC);
    return sha256().digest(utf8(nfc));
  }

  /** A fresh SHA-256: a clone of one looked up once (a lookup checks algorithm constraints). */
  private static MessageDigest sha256() {
    try {
      return (MessageDigest) SHA256.clone();
    } catch (CloneNotSupportedException e) {
      return newSha256();
    }
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /** Whether every character is ASCII, which NFC leaves as it is. */
  private static boolean ascii(CharSequence text) {
    for (int i = 0, n = text.length(); i < n; i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private Mac mac() {
    try {
      return (Mac) keyed.clone();
    } catch (CloneNotSupportedException e) {
      return freshMac(); // a provider whose HMAC cannot be cloned
    }
  }

  private Mac freshMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
