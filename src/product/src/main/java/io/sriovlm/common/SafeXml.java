package io.sriovlm.common;

import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.EntityResolver;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerConfigurationException;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.StringWriter;

/**
 * The one way sriovlm parses and writes XML (libvirt domain XML, from hosts it does not control): no DOCTYPE, no
 * external entities or DTDs, no XInclude, and errors thrown rather than printed by Xerces to stderr.
 * <p>
 * Each thread keeps one parser and one serializer. Making them is what costs: a factory looks its implementation
 * up on the class path, and a builder or transformer configures a new parser. An agent reads every domain's XML at
 * each heartbeat; when every read made its own, that was most of the agents' CPU in the fleet benchmark.
 */
public final class SafeXml {
    /** Fails on errors and fatal errors; ignores warnings. */
    public static final ErrorHandler THROWING = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };

    private static final EntityResolver REFUSING = (publicId, systemId) -> {
        throw new SAXException("external entity '" + systemId + "' refused");
    };

    private static final ThreadLocal<DocumentBuilder> BUILDERS = ThreadLocal.withInitial(SafeXml::hardenedBuilder);
    private static final ThreadLocal<Transformer> SERIALIZERS = ThreadLocal.withInitial(SafeXml::hardenedSerializer);

    private SafeXml() {
    }

    /**
     * This thread's hardened builder, reset: it throws on errors and refuses every external entity. Use it before
     * asking for it again on the same thread (a parse or {@code newDocument()}); what it returns is the caller's.
     */
    public static DocumentBuilder builder() {
        DocumentBuilder builder = BUILDERS.get();
        builder.reset();
        builder.setErrorHandler(THROWING);
        builder.setEntityResolver(REFUSING);
        return builder;
    }

    /** {@code node} as XML text: no XML declaration, no indentation, UTF-8. */
    public static String serialize(Node node) {
        try {
            StringWriter out = new StringWriter();
            SERIALIZERS.get().transform(new DOMSource(node), new StreamResult(out));
            return out.toString();
        } catch (TransformerException e) {
            String what = node instanceof Element element ? "<" + element.getTagName() + ">" : node.getNodeName();
            throw new IllegalStateException("cannot serialize " + what, e);
        }
    }

    private static DocumentBuilder hardenedBuilder() {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        try {
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setNamespaceAware(false);
            return f.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("XML parser cannot be hardened", e);
        }
    }

    private static Transformer hardenedSerializer() {
        try {
            TransformerFactory tf = TransformerFactory.newInstance();
            tf.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            tf.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            tf.setAttribute(XMLConstants.ACCESS_EXTERNAL_STYLESHEET, "");
            Transformer t = tf.newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            t.setOutputProperty(OutputKeys.INDENT, "no");
            return t;
        } catch (TransformerConfigurationException e) {
            throw new IllegalStateException("no XML serializer", e);
        }
    }
}
