package io.sriovlm.common;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

import java.io.StringReader;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Unit tier: the parser each thread keeps stays hardened and clean from one use to the next (reset, not rebuilt),
 * and threads do not share it.
 */
class SafeXmlTest {
    private static final String XXE = "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/hostname'>]>"
            + "<domain><name>&x;</name></domain>";

    private static Document parse(String xml) throws Exception {
        return SafeXml.builder().parse(new InputSource(new StringReader(xml)));
    }

    @Test
    void aReusedBuilderStillRefusesDoctypesAndRecoversFromErrors() throws Exception {
        assertThat(parse("<domain><name>vm-a</name></domain>").getDocumentElement().getTextContent()).isEqualTo("vm-a");
        assertThatThrownBy(() -> parse(XXE)).isInstanceOf(SAXException.class).hasMessageContaining("DOCTYPE");
        assertThatThrownBy(() -> parse("<domain><name>")).isInstanceOf(SAXException.class);
        // The same thread's builder after two failures: the next document parses whole, nothing of the last ones.
        Document next = parse("<domain><name>vm-b</name></domain>");
        assertThat(next.getDocumentElement().getTextContent()).isEqualTo("vm-b");
        assertThatThrownBy(() -> parse(XXE)).hasMessageContaining("DOCTYPE");
    }

    @Test
    void documentsOutliveTheBuilderThatMadeThem() throws Exception {
        Document first = parse("<domain><name>vm-a</name></domain>");
        Document second = parse("<domain><name>vm-b</name></domain>");
        assertThat(first.getDocumentElement().getTextContent()).isEqualTo("vm-a");
        assertThat(second.getDocumentElement().getTextContent()).isEqualTo("vm-b");
        assertThat(SafeXml.serialize(first.getDocumentElement())).isEqualTo("<domain><name>vm-a</name></domain>");
    }

    @Test
    void serializesWithoutDeclarationAndEscapesValues() throws Exception {
        Document doc = SafeXml.builder().newDocument();
        var itf = doc.createElement("interface");
        itf.setAttribute("name", "a'b\"<c>&");
        doc.appendChild(itf);
        assertThat(SafeXml.serialize(itf)).isEqualTo("<interface name=\"a'b&quot;&lt;c&gt;&amp;\"/>");
        assertThat(SafeXml.serialize(itf)).isEqualTo(SafeXml.serialize(itf));
    }

    @Test
    void eachThreadHasItsOwnBuilder() throws Exception {
        var mine = SafeXml.builder();
        AtomicReference<Object> theirs = new AtomicReference<>();
        Thread other = new Thread(() -> theirs.set(SafeXml.builder()));
        other.start();
        other.join();
        assertThat(theirs.get()).isNotNull().isNotSameAs(mine);
        assertThat(SafeXml.builder()).isSameAs(mine);
    }
}
