package io.sriovlm.sandbox.api;

import java.math.BigDecimal;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.mockwebserver.http.MockResponse;

/**
 * One field error, in the API server's words: {@code field: detail}, with the cause reason
 * ({@code FieldValueInvalid}, {@code FieldValueRequired}, ...). {@link #invalid} turns a list of them into the 422
 * {@code Invalid} Status that kubectl prints as {@code The Kind "name" is invalid: ...}.
 */
record FieldError(String field, String reason, String detail) {

    @Override
    public String toString() {
        return field + ": " + detail;
    }

    static FieldError invalid(String field, JsonNode value, String why) {
        return new FieldError(field, "FieldValueInvalid", "Invalid value: " + render(value) + ": " + why);
    }

    static MockResponse invalid(CrdRegistry.Crd crd, String name, List<FieldError> errors) {
        StringBuilder m = new StringBuilder(crd.kind()).append('.').append(crd.group()).append(" \"").append(name)
                .append("\" is invalid: ");
        if (errors.size() == 1) {
            m.append(errors.get(0));
        } else {
            m.append('[');
            for (int i = 0; i < errors.size(); i++) {
                m.append(i > 0 ? ", " : "").append(errors.get(i));
            }
            m.append(']');
        }
        ObjectNode details = Json.details(name, crd.group(), crd.kind());
        ArrayNode causes = details.putArray("causes");
        errors.forEach(e -> causes.addObject().put("reason", e.reason()).put("message", e.detail()).put("field",
                e.field()));
        return Json.status(422, "Invalid", m.toString(), details);
    }

    /** A value as Go's {@code %#v}-ish rendering in field errors: strings quoted, numbers as Go prints them. */
    static String render(JsonNode v) {
        if (v == null || v.isNull()) {
            return "\"null\"";
        }
        if (v.isTextual()) {
            return '"' + v.asText().replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
        if (v.isNumber()) {
            return goNumber(v.decimalValue());
        }
        if (v.isBoolean()) {
            return v.asText();
        }
        return '"' + (v.isObject() ? "object" : "array") + '"';
    }

    /** Go's {@code %v} of a float64 (shortest form, exponent from 1e21 up or for 7+ integer digits as 'g' does). */
    static String goNumber(BigDecimal d) {
        if (d.signum() == 0) {
            return "0";
        }
        BigDecimal s = d.stripTrailingZeros();
        String digits = s.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - s.scale();
        if (exp < -4 || exp >= 21 || (exp >= 6 && s.scale() <= 0)) {
            String mant = digits.length() > 1 ? digits.charAt(0) + "." + digits.substring(1) : digits;
            return (d.signum() < 0 ? "-" : "") + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "")
                    + Math.abs(exp);
        }
        return s.toPlainString();
    }
}
