#!/usr/bin/python3
"""A real SAML 2.0 identity provider for Signet's tests, built on pysaml2's saml2.server.Server.

Reads one JSON command on stdin and writes one JSON answer on stdout:

  {"command": "metadata", "idp": {...}}
      -> {"metadata": "<EntityDescriptor …>"}
  {"command": "parse-request", "idp": {...}, "spMetadata": "…", "binding": "redirect"|"post",
   "message": {"SAMLRequest": …, "RelayState": …, "SigAlg": …, "Signature": …}}
      -> {"id", "issuer", "acsUrl", "destination", "signatureVerified", "protocolBinding"}
  {"command": "respond", … as parse-request …, "options": {...}}
      -> {"samlResponse": "<base64>", "requestId": "…", "xml": "…"}

"idp" is {"entityId", "ssoRedirectUrl", "ssoPostUrl", "keyFile", "certFile"}. The IdP parses
Signet's real AuthnRequest (verifying its signature against the SP metadata), answers its ID,
and signs/encrypts with xmlsec1 exactly as pysaml2 does in production. Options (all optional)
bend the answer into the failure cases the SP must refuse; see answer() below.
"""

import base64
import io
import json
import os
import re
import sys
import tempfile
import time
from xml.etree import ElementTree

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, samlp
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI
from saml2.server import Server
from saml2.sigver import (
    RSACrypto,
    pre_encrypt_assertion,
    pre_encryption_part,
    pre_signature_part,
    signed_instance_factory,
    verify_redirect_signature,
)
from saml2.xmldsig import (
    DIGEST_SHA1,
    DIGEST_SHA256,
    SIG_RSA_SHA1,
    SIG_RSA_SHA256,
)

STATUS = "urn:oasis:names:tc:SAML:2.0:status:"

BLOCK = {
    "aes256-cbc": ("http://www.w3.org/2001/04/xmlenc#aes256-cbc", "aes-256"),
    "aes128-cbc": ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "aes-128"),
    "aes128-gcm": ("http://www.w3.org/2009/xmlenc11#aes128-gcm", "aes-128"),
    "aes256-gcm": ("http://www.w3.org/2009/xmlenc11#aes256-gcm", "aes-256"),
    "3des": ("http://www.w3.org/2001/04/xmlenc#tripledes-cbc", "des-192"),
}
KEY_TRANSPORT = {
    "rsa-oaep": "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
    "rsa-1_5": "http://www.w3.org/2001/04/xmlenc#rsa-1_5",
}
SIGNATURE = {"sha256": (SIG_RSA_SHA256, DIGEST_SHA256), "sha1": (SIG_RSA_SHA1, DIGEST_SHA1)}


def make_server(idp, sp_metadata=None, xml_signed_requests=True):
    endpoints = []
    if idp.get("ssoRedirectUrl"):
        endpoints.append((idp["ssoRedirectUrl"], BINDING_HTTP_REDIRECT))
    if idp.get("ssoPostUrl"):
        endpoints.append((idp["ssoPostUrl"], BINDING_HTTP_POST))
    config = {
        "entityid": idp["entityId"],
        "service": {
            "idp": {
                "endpoints": {"single_sign_on_service": endpoints},
                "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
                # HTTP-Redirect requests carry their signature in the query string (bindings
                # §3.4.4.1), checked by verify_redirect_signature below, not in the XML.
                "want_authn_requests_signed": xml_signed_requests,
                "name_id_format": [
                    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                ],
            }
        },
        "key_file": idp["keyFile"],
        "cert_file": idp["certFile"],
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "delete_tmpfiles": True,
        "metadata": {"inline": [sp_metadata]} if sp_metadata else {},
    }
    conf = IdPConfig()
    conf.load(config)
    return Server(config=conf), conf


def stamp(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse_request(server, command):
    """Parses Signet's AuthnRequest as an IdP does, verifying its signature either way."""
    message = command["message"]
    if command["binding"] == "redirect":
        request = server.parse_authn_request(message["SAMLRequest"], BINDING_HTTP_REDIRECT)
        sp_entity_id = request.message.issuer.text
        certs = server.metadata.certs(sp_entity_id, "spsso", "signing")
        verified = any(
            verify_redirect_signature(dict(message), RSACrypto(None), cert=cert[1] if isinstance(cert, tuple) else cert)
            for cert in certs
        )
    else:
        # want_authn_requests_signed: pysaml2 raises on an unsigned or badly signed request, so
        # reaching the next line means the enveloped signature verified.
        request = server.parse_authn_request(message["SAMLRequest"], BINDING_HTTP_POST)
        verified = True
    msg = request.message
    return request, {
        "id": msg.id,
        "issuer": msg.issuer.text,
        "acsUrl": msg.assertion_consumer_service_url,
        "destination": msg.destination,
        "protocolBinding": msg.protocol_binding,
        "signatureVerified": bool(verified),
        "nameIdFormat": msg.name_id_policy.format if msg.name_id_policy else None,
    }


def status_of(options):
    kind = options.get("status", "success")
    if kind == "success":
        return samlp.Status(status_code=samlp.StatusCode(value=STATUS + "Success")), None
    top, second, message = {
        "authn-failed": ("Responder", "AuthnFailed", None),
        "cancel": ("Responder", "NoAuthnContext", "authn-cancel"),
        "error": ("Responder", "RequestUnsupported", "the IdP is having a bad day"),
        "requester-error": ("Requester", "RequestDenied", None),
    }[kind]
    code = samlp.StatusCode(value=STATUS + top, status_code=samlp.StatusCode(value=STATUS + second))
    return samlp.Status(
        status_code=code,
        status_message=samlp.StatusMessage(text=message) if message else None,
    ), kind


def answer(server, conf, command, info):
    options = command.get("options", {})
    now = time.time() + float(options.get("clockOffsetSeconds", 0))
    sp_entity_id = info["issuer"]
    acs = info["acsUrl"]
    in_response_to = options.get("inResponseTo", info["id"])  # None = unsolicited
    destination = options.get("destination", acs)
    sign_alg, digest_alg = SIGNATURE[options.get("signatureAlgorithm", "sha256")]
    sign_response = bool(options.get("signResponse", False))
    sign_assertion = bool(options.get("signAssertion", True))
    status, error_kind = status_of(options)

    if error_kind:
        response = server._response(in_response_to, destination, status, sign=False)
        response.issue_instant = stamp(now)
        if "issuer" in options:
            response.issuer.text = options["issuer"]
        if sign_response:
            response.signature = pre_signature_part(response.id, server.sec.my_cert, 1, sign_alg=sign_alg, digest_alg=digest_alg)
            return signed_instance_factory(response, server.sec, [(class_name(response), response.id)])
        return response.to_string().decode("utf-8")

    # The format the AuthnRequest's NameIDPolicy asked for, as an IdP honours it.
    name_id = saml.NameID(
        format=info.get("nameIdFormat") or "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        name_qualifier=conf.entityid,
        sp_name_qualifier=sp_entity_id,
        text=options.get("nameId", "signer-7f3a"),
    )
    authn = {"class_ref": options.get("authnContextClassRef", "urn:uk:gov:cabinet-office:tc:saml:authn-context:level2")}
    response = server.create_authn_response(
        {},
        in_response_to,
        destination,
        sp_entity_id,
        name_id=name_id,
        authn=authn,
        sign_response=False,
        sign_assertion=False,
        encrypt_assertion=False,
    )
    assertion = response.assertion
    issuer = options.get("issuer", conf.entityid)
    response.issuer.text = issuer
    assertion.issuer.text = issuer
    response.issue_instant = stamp(now)
    assertion.issue_instant = stamp(now)
    for statement in assertion.authn_statement:
        statement.authn_instant = stamp(now)

    conditions = assertion.conditions
    conditions.not_before = stamp(now + float(options.get("notBeforeSeconds", 0)))
    conditions.not_on_or_after = stamp(now + float(options.get("notOnOrAfterSeconds", 300)))
    audience = options.get("audience", sp_entity_id)
    if audience is None:
        conditions.audience_restriction = []
    else:
        conditions.audience_restriction = [saml.AudienceRestriction(audience=[saml.Audience(text=audience)])]

    for confirmation in assertion.subject.subject_confirmation:
        data = confirmation.subject_confirmation_data
        data.recipient = options.get("recipient", acs)
        data.in_response_to = in_response_to
        data.not_on_or_after = stamp(now + float(options.get("subjectNotOnOrAfterSeconds", 300)))
        data.not_before = None

    attributes = dict(options.get("attributes", {}))
    raw_attributes = options.get("attributesXml", [])
    if raw_attributes:
        attributes[RAW_PLACEHOLDER] = []
    assertion.attribute_statement = (
        [
            saml.AttributeStatement(
                attribute=[
                    saml.Attribute(
                        name=name,
                        name_format=NAME_FORMAT_URI,
                        attribute_value=[saml.AttributeValue(text=value) for value in values],
                    )
                    for name, values in attributes.items()
                ]
            )
        ]
        if attributes
        else []
    )

    to_sign = []
    if sign_assertion:
        assertion.signature = pre_signature_part(assertion.id, server.sec.my_cert, 1, sign_alg=sign_alg, digest_alg=digest_alg)
        to_sign.append((class_name(assertion), assertion.id))
    if sign_response:
        response.signature = pre_signature_part(response.id, server.sec.my_cert, 1, sign_alg=sign_alg, digest_alg=digest_alg)

    encryption = options.get("encrypt")
    if encryption is None:
        if sign_response:
            to_sign.append((class_name(response), response.id))
        xml = inject_raw_attributes(response.to_string().decode("utf-8"), raw_attributes)
        xml = declare_namespaces(xml, options.get("declareNamespaces", {}))
        if not to_sign:
            return xml
        return signed_instance_factory(xml, server.sec, to_sign)

    # Encrypt as pysaml2's Entity._response does: self-contained assertion, signed first, then
    # encrypted in place with xmlsec1 for the SP's encryption certificate, then the Response signed.
    assertion_tag = assertion._to_element_tree().tag
    response = pre_encrypt_assertion(response)
    xml = self_contained_response(response, assertion_tag, raw_attributes, options.get("declareNamespaces", {}))
    if to_sign:
        xml = signed_instance_factory(xml, server.sec, to_sign)
    block_uri, session_key = BLOCK[encryption.get("block", "aes256-cbc")]
    key_uri = KEY_TRANSPORT[encryption.get("keyTransport", "rsa-oaep")]
    certs = server.metadata.certs(sp_entity_id, "spsso", "encryption")
    cert = certs[0][1] if isinstance(certs[0], tuple) else certs[0]
    pem = "-----BEGIN CERTIFICATE-----\n" + cert + "\n-----END CERTIFICATE-----\n"
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as handle:
        handle.write(pem)
        cert_path = handle.name
    try:
        template = pre_encryption_part(msg_enc=block_uri, key_enc=key_uri, encrypt_cert=cert.replace("\n", ""))
        xml = server.sec.encrypt_assertion(xml, cert_path, template, key_type=session_key)
    finally:
        os.unlink(cert_path)
    if sign_response:
        xml = signed_instance_factory(xml, server.sec, [(class_name(response), response.id)])
    return xml


RAW_PLACEHOLDER = "urn:signet:test:raw-attributes"


def inject_raw_attributes(xml, raw_attributes):
    """Replaces the placeholder Attribute with the given <saml:Attribute> XML, before signing.

    pysaml2's object model cannot carry GOV.UK Verify's typed values (xsi:type="ida:…" with
    ida:From/To/Verified and ida:Line children), so they are spliced in as text; each fragment
    declares its own namespaces. The IdP then signs (and encrypts) the result as usual.
    """
    if not raw_attributes:
        return xml
    pattern = re.compile(
        r'<(\w+):Attribute\b[^>]*Name="' + re.escape(RAW_PLACEHOLDER) + r'"[^>]*?(/>|>.*?</\1:Attribute>)',
        re.S,
    )
    replaced, count = pattern.subn(lambda _match: "".join(raw_attributes), xml, count=1)
    if count != 1:
        raise SystemExit("raw attribute placeholder not found")
    return replaced


def declare_namespaces(xml, declarations):
    """Declares namespaces on the Response and/or Assertion start tag, before signing.

    declarations is {"response": {prefix: uri}, "assertion": {prefix: uri}}: where an IdP puts
    the declarations its content relies on (ElementTree and OpenSAML declare on the root), so the
    attributes spliced in by inject_raw_attributes can rely on them instead of their own.
    """
    for element, names in (("Response", declarations.get("response")), ("Assertion", declarations.get("assertion"))):
        if not names:
            continue
        written = "".join(' xmlns:%s="%s"' % (prefix, uri) for prefix, uri in names.items())
        xml, count = re.subn(r"(<(?:\w+:)?" + element + r")(?=[\s>/])", lambda m: m.group(1) + written, xml, count=1)
        if count != 1:
            raise SystemExit("no %s start tag to declare namespaces on" % element)
    return xml


def self_contained_response(response, assertion_tag, raw_attributes, declarations):
    """The Response as pysaml2 serialises it for encryption.

    This is get_xml_string_with_self_contained_assertion_within_encrypted_assertion with the raw
    attributes and the declarations put into its element tree first, so they go through the
    same step as everything pysaml2 builds: each element and attribute name inside the Assertion
    is given an `encasN` prefix declared on the Assertion (xmlsec1 encrypts the element's bytes
    alone, so nothing declared around it would reach the SP), while text, xsi:type values
    included, stays as written. Declarations survive only where written out as xmlns:…
    attributes, the way pysaml2 writes xmlns:xs beside an xs:string value.
    """
    tree = response._to_element_tree()
    assertion = tree.find(response.encrypted_assertion._to_element_tree().tag).find(assertion_tag)
    context = {**declarations.get("response", {}), **declarations.get("assertion", {})}
    splice_raw_attributes(assertion, raw_attributes, context)
    for element, names in ((tree, declarations.get("response")), (assertion, declarations.get("assertion"))):
        for prefix, uri in (names or {}).items():
            element.set("xmlns:" + prefix, uri)
    response.set_prefixes(assertion, response.get_prefix_map([assertion]))
    return ElementTree.tostring(tree, encoding="UTF-8").decode("utf-8")


def splice_raw_attributes(assertion, raw_attributes, context):
    """inject_raw_attributes on an element tree: the placeholder Attribute becomes the fragments."""
    if not raw_attributes:
        return
    for statement in assertion.iter("{%s}AttributeStatement" % saml.NAMESPACE):
        for index, attribute in enumerate(list(statement)):
            if attribute.get("Name") == RAW_PLACEHOLDER:
                statement.remove(attribute)
                for offset, fragment in enumerate(raw_attributes):
                    statement.insert(index + offset, parse_keeping_declarations(fragment, context))
                return
    raise SystemExit("raw attribute placeholder not found")


def parse_keeping_declarations(fragment, context):
    """Parses an XML fragment into ElementTree in the namespace context {prefix: uri} it will sit
    in, keeping each declaration the fragment writes as an xmlns:… attribute where it was written
    (ElementTree alone would fold them into the names and drop them)."""
    declared = "".join(' xmlns:%s="%s"' % (prefix, uri) for prefix, uri in context.items())
    wrapped = "<context%s>%s</context>" % (declared, fragment)
    pending = []
    wrapper = None
    for event, item in ElementTree.iterparse(io.StringIO(wrapped), events=("start-ns", "start")):
        if event == "start-ns":
            pending.append(item)
            continue
        if wrapper is None:
            wrapper = item
        else:
            for prefix, uri in pending:
                item.set("xmlns:" + prefix if prefix else "xmlns", uri)
        pending = []
    return wrapper[0]


def class_name(instance):
    return "%s:%s" % (instance.c_namespace, instance.c_tag)


def main():
    command = json.load(sys.stdin)
    if command["command"] == "metadata":
        _, conf = make_server(command["idp"])
        print(json.dumps({"metadata": str(entity_descriptor(conf))}))
        return
    server, conf = make_server(command["idp"], command["spMetadata"], command["binding"] == "post")
    _, info = parse_request(server, command)
    if not info["signatureVerified"]:
        raise SystemExit("the AuthnRequest signature did not verify")
    if command["command"] == "parse-request":
        print(json.dumps(info))
        return
    xml = answer(server, conf, command, info)
    if isinstance(xml, bytes):
        xml = xml.decode("utf-8")
    print(
        json.dumps(
            {
                "samlResponse": base64.b64encode(xml.encode("utf-8")).decode("ascii"),
                "requestId": info["id"],
                "xml": xml,
            }
        )
    )


if __name__ == "__main__":
    main()
