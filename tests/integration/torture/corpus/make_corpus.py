#!/usr/bin/env python3
"""Writes the RFC 4475 and RFC 5118 torture messages of this folder as .sip files.

Each message is written from the text of the RFC's section 3 (RFC 4475) or section 4
(RFC 5118). Lines end in CRLF. Raw control bytes (intmeth's display name, mpart01's binary
body part) and UTF-8 text are written as bytes here, so the files hold exactly what goes on
the wire. A Content-Length of {CL} is filled with the real body length; every other
Content-Length is written as the RFC has it (several are wrong on purpose).

Run it from anywhere: python3 make_corpus.py (it writes next to itself).
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def crlf(text):
    """Text with "\n" line ends -> bytes with CRLF line ends (UTF-8)."""
    return text.replace("\n", "\r\n").encode("utf-8")


def sdp(ip, audio="0 12"):
    """The SDP most RFC 4475 messages carry, for the given address."""
    return crlf(
        "v=0\n"
        f"o=mhandley 29739 7272939 IN IP4 {ip}\n"
        "s=-\n"
        f"c=IN IP4 {ip}\n"
        "t=0 0\n"
        f"m=audio 49217 RTP/AVP {audio}\n"
        "m=video 3227 RTP/AVP 31\n"
        "a=rtpmap:31 LPC\n"
    )


def msg(head, body=b""):
    """Header text (with "\n" ends, no blank line) + body; {CL} becomes len(body)."""
    head_bytes = crlf(head.replace("{CL}", str(len(body)))) if isinstance(head, str) else head
    return head_bytes + b"\r\n" + body


def write(folder, name, data):
    path = os.path.join(HERE, folder, name + ".sip")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def rep(s, n):
    return s * n


M = {}  # rfc4475 name -> bytes

# 3.1.1.1 A short tortuous INVITE: folding, odd whitespace, compact forms, unknown headers.
M["wsinv"] = msg(
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\n"
    "TO :\n"
    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\n"
    'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>\n'
    "  ;\n"
    "  tag = 98asjd8\n"
    "MaX-fOrWaRdS: 0068\n"
    "Call-ID: wsinv.ndaksdj@192.0.2.1\n"
    "Content-Length   : {CL}\n"
    "cseq: 0009\n"
    "  INVITE\n"
    "Via  : SIP  /   2.0\n"
    " /UDP\n"
    "    192.0.2.2;branch=390skdjuw\n"
    "s :\n"
    "NewFangledHeader:   newfangled value\n"
    " continued newfangled value\n"
    "UnknownHeaderWithUnusualValue: ;;,,;;,;\n"
    "Content-Type: application/sdp\n"
    "Route:\n"
    " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\n"
    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n"
    "  branch  =   z9hG4bK9ikj8  ,\n"
    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n"
    " z9hG4bK30239\n"
    'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =\n'
    "      newvalue ;\n"
    "  secondparam ; q = 0.33\n",
    crlf(
        "v=0\n"
        "o=mhandley 29739 7272939 IN IP4 192.0.2.3\n"
        "s=-\n"
        "c=IN IP4 192.0.2.4\n"
        "t=0 0\n"
        "m=audio 49217 RTP/AVP 0 12\n"
        "m=video 3227 RTP/AVP 31\n"
        "a=rtpmap:31 LPC\n"
    ),
)

# 3.1.1.2 Wide range of valid characters: every token character in the method, the
# Request-URI's user and password, parameters; BEL, NUL and DEL escaped inside a quoted
# display name; UTF-8 in a quoted parameter value and in an extension header.
intmeth_method = "!interesting-Method0123456789_*+`.%indeed'~"
intmeth_user = "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
M["intmeth"] = (
    (
        f"{intmeth_method} sip:{intmeth_user}:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
        "@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\r\n"
    ).encode("utf-8")
    + b'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:'
    + intmeth_user.encode("utf-8")
    + b"@example.com>\r\n"
    + "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"работающий\";tag=_token~1'+`*%!-.\r\n".encode(
        "utf-8"
    )
    + b"Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n"
    + f"CSeq: 139122385 {intmeth_method}\r\n".encode("utf-8")
    + b"Max-Forwards: 255\r\n"
    + b"extensionHeader-!.%*+_`'~:\xef\xbb\xbf" + "大停電".encode("utf-8") + b"\r\n"
    + b"Content-Length: 0\r\n"
    + b"\r\n"
)

# 3.1.1.3 Valid %HEX escapes: compare unescaped (To's user is "user", the Request-URI's
# user is "sips:user@example.com").
M["esc01"] = msg(
    "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\n"
    "To: sip:%75se%72@example.com\n"
    "From: <sip:I%20have%20spaces@example.net>;tag=938\n"
    "Max-Forwards: 87\n"
    "i: esc01.239409asdfakjkn23onasd0-3234\n"
    "CSeq: 234234 INVITE\n"
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\n"
    "C: application/sdp\n"
    "Contact:\n"
    "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n"
    "Content-Length: {CL}\n",
    sdp("192.0.2.1"),
)

# 3.1.1.4 Escaped NULs in URIs: two distinct contacts, no C-string truncation.
M["escnull"] = msg(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:null-%00-null@example.com\n"
    "From: sip:null-%00-null@example.com;tag=839923423\n"
    "Max-Forwards: 70\n"
    "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd\n"
    "CSeq: 14398234 REGISTER\n"
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
    "Contact: <sip:%00@host5.example.com>\n"
    "Contact: <sip:%00%00@host5.example.com>\n"
    "L:0\n"
)

# 3.1.1.5 "%" that is not an escape: the method is RE%47IST%45R, not REGISTER.
M["esc02"] = msg(
    "RE%47IST%45R sip:registrar.example.com SIP/2.0\n"
    'To: "%Z%45" <sip:resource@example.com>\n'
    'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23\n'
    "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf\n"
    "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209793\n"
    "Max-Forwards: 70\n"
    "Contact: <sip:alias1@host1.example.com>\n"
    "Contact: <sip:alias2@host2.example.com>\n"
    "Contact: <sip:alias3@host3.example.com>\n"
    "CSeq: 29344 RE%47IST%45R\n"
    "Content-Length: 0\n"
)

# 3.1.1.6 No LWS between a token display name and "<".
M["lwsdisp"] = msg(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: caller<sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID: lwsdisp.1234abcd@funky.example.com\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
)

# 3.1.1.7 Long values in header fields and many header field values (34 Vias).
vias = "".join(
    f"{'Via' if i % 3 == 0 else ('v' if i % 3 == 1 else 'V')}: SIP/2.0/TCP sip{33 - i}.example.com\n"
    for i in range(33)
)
M["longreq"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    'To: "I have a user name of ' + rep("extreme", 10) + ' proportion"<sip:user@example.com:6000;'
    "unknownparam1=very" + rep("long", 20) + "value;"
    "longparam" + rep("name", 25) + "=shortvalue;"
    "very" + rep("long", 25) + "ParameterNameWithNoValue>\n"
    "F: sip:amazinglylongcallername" + rep("long", 5) + "@example.net;tag=12" + rep("982", 50) + "424;"
    "unknownheaderparam" + rep("long", 20) + "name=unknowheaderparam" + rep("long", 15) + "value;"
    "unknownValueless" + rep("long", 10) + "paramname\n"
    "Call-ID: longreq.one" + rep("really", 20) + "longcallid\n"
    "CSeq: 3882340 INVITE\n"
    "Unknown-" + rep("Long", 20) + "-Name: unknown-" + rep("long", 20) + "-value; unknown-"
    + rep("long", 20) + "-parameter-name = unknown-" + rep("long", 20) + "-parameter-value\n"
    + vias
    + "Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very" + rep("long", 50) + "branchvalue\n"
    "Max-Forwards: 70\n"
    "Contact: <sip:amazinglylongcallername" + rep("long", 5) + "@host5.example.net>\n"
    "Content-Type: application/sdp\n"
    "l: {CL}\n",
    sdp("192.0.2.1"),
)

# 3.1.1.8 A REGISTER with Content-Length 0 followed, in the same datagram, by an INVITE:
# the bytes after the first message are not a message and are ignored.
dblreq_register = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:j.user@example.com;tag=43251j3j324\n"
    "Max-Forwards: 8\n"
    "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\n"
    "Contact: sip:j.user@host.example.com\n"
    "CSeq: 8 REGISTER\n"
    "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492\n"
    "Content-Length: 0\n"
    "\n"
)
dblreq_body = sdp("192.0.2.15")
dblreq_invite = msg(
    "INVITE sip:joe@example.com SIP/2.0\n"
    "t: sip:joe@example.com\n"
    "From: sip:caller@example.net;tag=141334\n"
    "Max-Forwards: 8\n"
    "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    dblreq_body,
)
M["dblreq"] = dblreq_register + b"\r\n" + dblreq_invite

# 3.1.1.9 ";" inside the user part: the user is "user;par=u@example.net".
M["semiuri"] = msg(
    "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\n"
    "To: sip:j_user@example.com\n"
    "From: sip:caller@example.org;tag=33242\n"
    "Max-Forwards: 3\n"
    "Call-ID: semiuri.0ha0isndaksdj\n"
    "CSeq: 8 OPTIONS\n"
    "Accept: application/sdp, application/pkcs7-mime,\n"
    "        multipart/mixed, multipart/signed,\n"
    "        message/sip, message/sipfrag\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
)

# 3.1.1.10 Transport tokens we do not know in Via.
M["transports"] = msg(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: <sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID:  transports.kijh4akdnaqjkwendsasfdj\n"
    "Accept: application/sdp\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\n"
    "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\n"
    "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\n"
    "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\n"
    "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\n"
    "l: 0\n"
)

# 3.1.1.11 A multipart body whose binary part holds NUL (and other control) bytes: framed by
# Content-Length, never by a C string. The binary part here is our own DER-shaped bytes with
# NULs, standing for the RFC's CMS signature blob.
binary_part = bytes.fromhex(
    "3082015206092a864886f70d010702a08201433082013f020101310b30090605"
    "2b0e03021a0500300b06092a864886f70d010701318201203082011c02010130"
    "7c3070310b3009060355040613025553311330110603550408130a43616c6966"
    "6f726e69613111300f0603550407130853616e204a6f7365310e300c06035504"
    "0a130573697069743129302706035504031320536970697420546573742043"
    "6572746966696361746520417574686f72697479020801950071023301130009"
    "06052b0e03021a0500300d06092a864886f70d0101010500048180000000007f"
)
mpart_body = (
    crlf(
        "--7a9cbec02ceef655\n"
        "Content-Type: text/plain\n"
        "Content-Transfer-Encoding: binary\n"
        "\n"
        "Hello\n"
        "--7a9cbec02ceef655\n"
        "Content-Type: application/octet-stream\n"
        "Content-Transfer-Encoding: binary\n"
        "\n"
    )
    + binary_part
    + crlf("\n--7a9cbec02ceef655--\n")
)
M["mpart01"] = msg(
    "MESSAGE sip:kumiko@example.org SIP/2.0\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport\n"
    "Max-Forwards: 70\n"
    "Route: <sip:127.0.0.1:5080>\n"
    "Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=\n"
    "Contact: <sip:fluffy@127.0.0.1:5070>\n"
    "To: <sip:kumiko@example.org>\n"
    "From: <sip:fluffy@example.com>;tag=2fb0dcc9\n"
    "Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\n"
    "CSeq: 1 MESSAGE\n"
    "Content-Transfer-Encoding: binary\n"
    "Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\n"
    "Date: Sat, 15 Oct 2005 04:44:56 GMT\n"
    "User-Agent: SIPimp.org/0.2.5 (curses)\n"
    "Content-Length: {CL}\n",
    mpart_body,
)

# 3.1.1.12 A response whose reason phrase is UTF-8 text.
unreason_body = crlf(
    "v=0\n"
    "o=mhandley 29739 7272939 IN IP4 192.0.2.198\n"
    "s=-\n"
    "c=IN IP4 192.0.2.198\n"
    "t=0 0\n"
    "m=audio 49217 RTP/AVP 0 12\n"
    "m=video 3227 RTP/AVP 31\n"
    "a=rtpmap:31 LPC\n"
)
M["unreason"] = msg(
    "SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять - простое\n"
    "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
    "Call-ID: unreason.1234ksdfak3j2erwedfsASdf\n"
    "CSeq: 35 INVITE\n"
    "From: sip:user@example.com;tag=11141343\n"
    "To: sip:user@example.edu;tag=2229\n"
    "Content-Length: {CL}\n"
    "Content-Type: application/sdp\n"
    "Contact: <sip:user@host198.example.com>\n",
    unreason_body,
)

# 3.1.1.13 A response with an empty reason phrase (the SP after the code is there).
M["noreason"] = msg(
    "SIP/2.0 100 \n"
    "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\n"
    "Call-ID: noreason.asndj203insdf99223ndf\n"
    "CSeq: 35 INVITE\n"
    "From: <sip:user@example.com>;tag=39ansfi3\n"
    "To: <sip:user@example.edu>;tag=902jndnke3\n"
    "Content-Length: 0\n"
    "Contact: <sip:user@host105.example.com>\n"
)

# 3.1.2.1 Extraneous header field separators in Via and Contact.
M["badinv01"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=134161461246\n"
    "Max-Forwards: 7\n"
    "Call-ID: badinv01.0ha0isndaksdjasdf3234nas\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\n"
    'Contact: "Joe" <sip:joe@example.org>;;;;\n'
    "Content-Length: {CL}\n"
    "Content-Type: application/sdp\n",
    sdp("192.0.2.15"),
)

# 3.1.2.2 Content-Length larger than the datagram's body.
M["clerr"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    "Max-Forwards: 80\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=93942939o2\n"
    "Contact: <sip:caller@hungry.example.net>\n"
    "Call-ID: clerr.0ha0isndaksdjweiafasdk3\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 9999\n",
    sdp("192.0.2.155"),
)

# 3.1.2.3 Negative Content-Length.
M["ncl"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    "Max-Forwards: 254\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=32394234\n"
    "Call-ID: ncl.0ha0isndaksdj2193423r542w35\n"
    "CSeq: 0 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw\n"
    "Contact: <sip:caller@example53.example.net>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: -999\n",
    sdp("192.0.2.53"),
)

# 3.1.2.4 Request scalar fields with overlarge values (CSeq > 2**32-1, Max-Forwards > 255,
# Expires and a contact's expires beyond 2**32-1).
M["scalar02"] = msg(
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3\n"
    "To: <sip:user@example.com>\n"
    "From: <sip:user@example.com>;tag=239232jh3\n"
    "CSeq: 36893488147419103232 REGISTER\n"
    "Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32\n"
    "Max-Forwards: 300\n"
    "Expires: 1" + rep("0", 100) + "\n"
    "Contact: <sip:user@host129.example.com>\n"
    "  ;expires=280297596632815\n"
    "Content-Length: 0\n"
)

# 3.1.2.5 Response scalar fields with overlarge values.
M["scalarlg"] = msg(
    "SIP/2.0 503 Service Unavailable\n"
    "Via: SIP/2.0/TCP host129.example.com;branch=zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz;received=192.0.2.129\n"
    "To: <sip:user@example.com>\n"
    "From: <sip:other@example.net>;tag=2easdjfejw\n"
    "CSeq: 9292394834772304023312 OPTIONS\n"
    "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r\n"
    "Retry-After: 949302838503028349304023988\n"
    'Warning: 1812 overture "In Progress"\n'
    "Content-Length: 0\n"
)

# 3.1.2.6 Unterminated quoted string in a display name.
M["quotbal"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    'To: "Mr. J. User <sip:j.user@example.com>\n'
    "From: sip:caller@example.net;tag=93334\n"
    "Max-Forwards: 10\n"
    "Call-ID: quotbal.aksdj\n"
    "Contact: <sip:caller@host59.example.net>\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    sdp("192.0.2.15"),
)

# 3.1.2.7 "<" and ">" around the Request-URI.
M["ltgtruri"] = msg(
    "INVITE <sip:user@example.com> SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=39291\n"
    "Max-Forwards: 23\n"
    "Call-ID: ltgtruri.1@192.0.2.5\n"
    "CSeq: 1 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.5\n"
    "Contact: <sip:caller@host5.example.net>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    sdp("192.0.2.5"),
)

# 3.1.2.8 LWS inside the Request-URI.
M["lwsruri"] = msg(
    "INVITE sip:user@example.com; lr SIP/2.0\n"
    "To: sip:user@example.com;tag=3xfe-9921883-z9f\n"
    "From: sip:caller@example.net;tag=231413434\n"
    "Max-Forwards: 5\n"
    "Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423\n"
    "CSeq: 2130706432 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395\n"
    "Contact: <sip:caller@host1.example.net>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    sdp("192.0.2.1"),
)

# 3.1.2.9 More than one SP between the elements of the Request-Line.
M["lwsstart"] = msg(
    "INVITE  sip:user@example.com  SIP/2.0\n"
    "Max-Forwards: 8\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=8814\n"
    "Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com\n"
    "CSeq: 1893884 INVITE\n"
    "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923\n"
    "Contact: <sip:caller@host1.example.net>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    sdp("192.0.2.1"),
)

# 3.1.2.10 Trailing SP after the SIP-Version of the Request-Line.
M["trws"] = msg(
    "OPTIONS sip:remote-target@example.com SIP/2.0  \n"
    "Via: SIP/2.0/TCP host1.examle.com;branch=z9hG4bK299342093\n"
    "To: <sip:remote-target@example.com>\n"
    "From: <sip:local-resource@example.com>;tag=329429089\n"
    "Call-ID: trws.oicu34958239neffasdhr2345r\n"
    "Accept: application/sdp\n"
    "CSeq: 238923 OPTIONS\n"
    "Max-Forwards: 70\n"
    "Content-Length: 0\n"
)

# 3.1.2.11 Escaped headers in the Request-URI.
M["escruri"] = msg(
    "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=341518\n"
    "Max-Forwards: 7\n"
    "Contact: <sip:caller@host39923.example.net>\n"
    "Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5\n"
    "CSeq: 39234321 INVITE\n"
    "Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    sdp("192.0.2.1"),
)

# 3.1.2.12 A Date that is not GMT.
M["baddate"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=2234923\n"
    "Max-Forwards: 70\n"
    "Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234\n"
    "CSeq: 1392934 INVITE\n"
    "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\n"
    "Date: Fri, 01 Jan 2010 16:00:00 EST\n"
    "Contact: <sip:caller@host5.example.net>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    sdp("192.0.2.5"),
)

# 3.1.2.13 A Contact URI with headers ("?") not enclosed in "<>".
M["regbadct"] = msg(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=998332\n"
    "Max-Forwards: 70\n"
    "Call-ID: regbadct.k345asrl3fdbv@10.0.0.1\n"
    "CSeq: 1 REGISTER\n"
    "Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw\n"
    "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E\n"
    "l: 0\n"
)

# 3.1.2.14 Spaces inside "<" ">" around an addr-spec.
M["badaspec"] = msg(
    "OPTIONS sip:user@example.org SIP/2.0\n"
    "Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234\n"
    "Max-Forwards: 70\n"
    'From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423\n'
    'To: "Watson, Thomas" < sip:t.watson@example.org >\n'
    "Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3\n"
    "Accept: application/sdp\n"
    "CSeq: 3923239 OPTIONS\n"
    "l: 0\n"
)

# 3.1.2.15 An unquoted display name with a "," (not a token sequence).
M["baddn"] = msg(
    "OPTIONS sip:t.watson@example.org SIP/2.0\n"
    "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw\n"
    "Max-Forwards:      70\n"
    "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43\n"
    "To:      Watson, Thomas <sip:t.watson@example.org>\n"
    "Call-ID: baddn.31415@c.example.com\n"
    "Accept: application/sdp\n"
    "CSeq:    3923239 OPTIONS\n"
    "l: 0\n"
)

# 3.1.2.16 SIP-Version 7.0.
M["badvers"] = msg(
    "OPTIONS sip:t.watson@example.org SIP/7.0\n"
    "Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw\n"
    "Max-Forwards:     70\n"
    "From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\n"
    "To:      T. Watson <sip:t.watson@example.org>\n"
    "Call-ID: badvers.31417@c.example.com\n"
    "CSeq:    1 OPTIONS\n"
    "l: 0\n"
)

# 3.1.2.17 Request method and CSeq method differ.
M["mismatch01"] = msg(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=34525\n"
    "Max-Forwards: 6\n"
    "Call-ID: mismatch01.dj0234sxdfl3\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
)

# 3.1.2.18 Unknown method, and a CSeq method that differs from it.
M["mismatch02"] = msg(
    "NEWMETHOD sip:user@example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=34525\n"
    "Max-Forwards: 6\n"
    "Call-ID: mismatch02.dj0234sxdfl3\n"
    "CSeq: 8 INVITE\n"
    "Contact: <sip:caller@host.example.net>\n"
    "Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw\n"
    "Content-Type: application/sdp\n"
    "l: {CL}\n",
    sdp("192.0.2.1"),
)

# 3.1.2.19 A response with a status code beyond 699 (and beyond 2**32).
M["bigcode"] = msg(
    "SIP/2.0 4294967301 better not break the receiver\n"
    "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\n"
    "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i\n"
    "CSeq: 353494 INVITE\n"
    "From: <sip:user@example.com>;tag=39ansfi3\n"
    "To: <sip:user@example.edu>;tag=902jndnke3\n"
    "Content-Length: 0\n"
    "Contact: <sip:user@host105.example.com>\n"
)

# 3.2.1 A branch that is only the magic cookie.
M["badbranch"] = msg(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.org;tag=33242\n"
    "Max-Forwards: 3\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK\n"
    "Accept: application/sdp\n"
    "Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n\n"
    "CSeq: 8 OPTIONS\n"
    "l: 0\n"
)

# 3.3.1 No To, From or Call-ID.
M["insuf"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    "CSeq: 193942 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\n"
    "Content-Type: application/sdp\n"
    "l: {CL}\n",
    sdp("192.0.2.95"),
)

# 3.3.2 Unknown Request-URI scheme.
M["unkscm"] = msg(
    "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=384\n"
    "Max-Forwards: 3\n"
    "Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34\n"
    "CSeq: 3923423 OPTIONS\n"
    "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\n"
    "Content-Length: 0\n"
)

# 3.3.3 A registered but unusual Request-URI scheme.
M["novelsc"] = msg(
    "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=384\n"
    "Max-Forwards: 3\n"
    "Call-ID: novelsc.asdfasser0q239nwsdfasdkl34\n"
    "CSeq: 3923423 OPTIONS\n"
    "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\n"
    "Content-Length: 0\n"
)

# 3.3.4 Unknown schemes in To, From and Contact.
M["unksm2"] = msg(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: isbn:2983792873\n"
    "From: <http://www.example.com>;tag=3234233\n"
    "Call-ID: unksm2.daksdj@hyphenated-host.example.com\n"
    "CSeq: 234902 REGISTER\n"
    "Max-Forwards: 70\n"
    "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw\n"
    "Contact: <name:John_Doe>\n"
    "l: 0\n"
)

# 3.3.5 Require and Proxy-Require with option tags nobody supports.
M["bext01"] = msg(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:j_user@example.com\n"
    "From: sip:caller@example.net;tag=242etr\n"
    "Max-Forwards: 6\n"
    "Call-ID: bext01.0ha0isndaksdj\n"
    "Require: nothingSupportsThis, nothingSupportsThisEither\n"
    "Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis\n"
    "CSeq: 8 OPTIONS\n"
    "Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw\n"
    "Content-Length: 0\n"
)

# 3.3.6 An INVITE whose body has a type nobody knows.
invut_body = crlf('<audio>\n <pcmu port="443"/>\n</audio>\n')
M["invut"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    "Contact: <sip:caller@host5.example.net>\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=8392034\n"
    "Max-Forwards: 70\n"
    "Call-ID: invut.0ha0isndaksdjadsfij34n23d\n"
    "CSeq: 235448 INVITE\n"
    "Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw\n"
    "Content-Type: application/unknownformat\n"
    "Content-Length: {CL}\n",
    invut_body,
)

# 3.3.7 An Authorization with an unknown scheme.
M["regaut01"] = msg(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:j.user@example.com;tag=87321hj23128\n"
    "Max-Forwards: 8\n"
    "Call-ID: regaut01.0ha0isndaksdj\n"
    "CSeq: 9338 REGISTER\n"
    "Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw\n"
    "Authorization: NoOneKnowsThisScheme opaque-data=here\n"
    "Content-Length:0\n"
)

# 3.3.8 Several values in header fields that allow only one.
M["multi01"] = msg(
    "INVITE sip:user@company.com SIP/2.0\n"
    "Contact: <sip:caller@host25.example.net>\n"
    "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw\n"
    "Max-Forwards: 70\n"
    "CSeq: 5 INVITE\n"
    "Call-ID: multi01.98asdh@192.0.2.1\n"
    "CSeq: 59 INVITE\n"
    "Call-ID: multi01.98asdh@192.0.2.2\n"
    "From: sip:caller@example.com;tag=3413415\n"
    "To: sip:user@example.com\n"
    "To: sip:other@example.net\n"
    "From: sip:caller@example.net;tag=2923420123\n"
    "Content-Type: application/sdp\n"
    "l: {CL}\n"
    "Contact: <sip:caller@host36.example.net>\n"
    "Max-Forwards: 5\n",
    sdp("192.0.2.25"),
)

# 3.3.9 Two Content-Length values.
M["mcl01"] = msg(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423\n"
    "To: sip:user@example.com\n"
    "From: sip:other@example.net;tag=3923942\n"
    "Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf\n"
    "CSeq: 15932 OPTIONS\n"
    "Content-Length: 13\n"
    "Max-Forwards: 60\n"
    "Content-Length: 5\n"
    "Content-Type: text/plain\n",
    crlf("There's no way to know how many octets are supposed to be here.\n"),
)

# 3.3.10 A 200 whose second Via names the broadcast address.
M["bcast"] = msg(
    "SIP/2.0 200 OK\n"
    "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
    "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23\n"
    "Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf\n"
    "CSeq: 35 INVITE\n"
    "From: sip:user@example.com;tag=11141343\n"
    "To: sip:user@example.edu;tag=2229\n"
    "Content-Length: {CL}\n"
    "Content-Type: application/sdp\n"
    "Contact: <sip:user@host28.example.com>\n",
    sdp("192.0.2.198"),
)

# 3.3.11 Max-Forwards of zero (an endpoint processes it).
M["zeromf"] = msg(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=3ghsd41\n"
    "Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas\n"
    "CSeq: 39234321 OPTIONS\n"
    "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i\n"
    "Max-Forwards: 0\n"
    "Content-Length: 0\n"
)

# 3.3.12 A contact without "<>": ";unknownparam" is a contact parameter, not a URI one.
M["cparam01"] = msg(
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw\n"
    "Max-Forwards: 70\n"
    "From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe\n"
    "To: sip:watson@example.com\n"
    "Call-ID: cparam01.70710@saturn.example.com\n"
    "CSeq: 2 REGISTER\n"
    "Contact: sip:+19725552222@gw1.example.net;unknownparam\n"
    "l: 0\n"
)

# 3.3.13 The same contact in "<>": now ";unknownparam" is a URI parameter.
M["cparam02"] = msg(
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw\n"
    "Max-Forwards: 70\n"
    "From: sip:watson@example.com;tag=838293\n"
    "To: sip:watson@example.com\n"
    "Call-ID: cparam02.70710@saturn.example.com\n"
    "CSeq: 3 REGISTER\n"
    "Contact: <sip:+19725552222@gw1.example.net;unknownparam>\n"
    "l: 0\n"
)

# 3.3.14 A contact URI with an escaped Route header, in "<>".
M["regescrt"] = msg(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=8\n"
    "Max-Forwards: 70\n"
    "Call-ID: regescrt.k345asrl3fdbv@192.0.2.1\n"
    "CSeq: 14398234 REGISTER\n"
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
    "M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>\n"
    "L:0\n"
)

# 3.3.15 An INVITE with SDP whose Accept does not list application/sdp.
M["sdp01"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    "To: sip:j_user@example.com\n"
    "Contact: <sip:caller@host15.example.net>\n"
    "From: sip:caller@example.net;tag=234\n"
    "Max-Forwards: 5\n"
    "Call-ID: sdp01.ndaksdj9342dasdd\n"
    "Accept: text/nobodyKnowsThis\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 60.63.200.118;branch=z9hG4bKkdjuw\n"
    "Content-Length: {CL}\n"
    "Content-Type: application/sdp\n",
    sdp("60.63.200.118"),
)

# 3.4.1 An RFC 2543 INVITE: no branch, no From tag, no Max-Forwards, no Contact, no
# Content-Length (UDP: the body runs to the end of the datagram).
M["inv2543"] = msg(
    "INVITE sip:UserB@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP iftgw.example.com\n"
    "From: <sip:+13035551111@ift.client.example.net;user=phone>\n"
    "Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>\n"
    "To: sip:+16505552222@ss1.example.net;user=phone\n"
    "Call-ID: inv2543.1717@ift.client.example.com\n"
    "CSeq: 56 INVITE\n"
    "Content-Type: application/sdp\n",
    crlf(
        "v=0\n"
        "o=mhandley 29739 7272939 IN IP4 192.0.2.5\n"
        "s=-\n"
        "c=IN IP4 192.0.2.5\n"
        "t=0 0\n"
        "m=audio 49217 RTP/AVP 0\n"
    ),
)

S = {}  # rfc5118 name -> bytes

# 4.1 A valid IPv6 reference in the Request-URI, Via and Contact.
S["ipv6-good"] = msg(
    "REGISTER sip:[2001:db8::10] SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    "Max-Forwards: 70\n"
    'Contact: "Caller" <sip:caller@[2001:db8::1]>\n'
    "CSeq: 98176 REGISTER\n"
    "Content-Length: 0\n"
)

# 4.2 An IPv6 address in the Request-URI without "[" "]".
S["ipv6-bad"] = msg(
    "REGISTER sip:2001:db8::10 SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    "Max-Forwards: 70\n"
    'Contact: "Caller" <sip:caller@[2001:db8::1]>\n'
    "CSeq: 98176 REGISTER\n"
    "Content-Length: 0\n"
)

# 4.3 Inside "[" "]" ":5070" is part of the address, not a port.
S["port-ambiguous"] = msg(
    "REGISTER sip:[2001:db8::10:5070] SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    'Contact: "Caller" <sip:caller@[2001:db8::1]>\n'
    "Max-Forwards: 70\n"
    "CSeq: 98176 REGISTER\n"
    "Content-Length: 0\n"
)

# 4.4 The port after "]".
S["port-unambiguous"] = msg(
    "REGISTER sip:[2001:db8::10]:5070 SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    'Contact: "Caller" <sip:caller@[2001:db8::1]>\n'
    "Max-Forwards: 70\n"
    "CSeq: 98176 REGISTER\n"
    "Content-Length: 0\n"
)

# 4.5 Via received with "[" "]" (first message) and without them (second): accept both.
S["via-received-param-with-delim"] = msg(
    "BYE sip:[2001:db8::10] SIP/2.0\n"
    "To: sip:user@example.com;tag=bd76ya\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    "Max-Forwards: 70\n"
    "CSeq: 321 BYE\n"
    "Content-Length: 0\n"
)
S["via-received-param-no-delim"] = msg(
    "OPTIONS sip:[2001:db8::10] SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3\n"
    "Call-ID: SSG95523997077@hlau_4100\n"
    "Max-Forwards: 70\n"
    'Contact: "Caller" <sip:caller@[2001:db8::9:1]>\n'
    "CSeq: 921 OPTIONS\n"
    "Content-Length: 0\n"
)

# 4.6 IPv6 addresses in the SDP body.
S["ipv6-in-sdp"] = msg(
    "INVITE sip:user@[2001:db8::10] SIP/2.0\n"
    "To: sip:user@[2001:db8::10]\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::20];branch=z9hG4bKas3-111\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    'Contact: "Caller" <sip:caller@[2001:db8::20]>\n'
    "CSeq: 8612 INVITE\n"
    "Max-Forwards: 70\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    crlf(
        "v=0\n"
        "o=assistant 971731711378798081 0 IN IP6 2001:db8::20\n"
        "s=Live video feed for today's meeting\n"
        "c=IN IP6 2001:db8::20\n"
        "t=3338481189 3370017201\n"
        "m=audio 6000 RTP/AVP 2\n"
        "a=rtpmap:2 G726-32/8000\n"
        "m=video 6024 RTP/AVP 107\n"
        "a=rtpmap:107 H263-1998/90000\n"
    ),
)

# 4.7 IPv4 and IPv6 addresses (and a port after "]") in the Vias.
S["mult-ip-in-header"] = msg(
    "BYE sip:user@host.example.net SIP/2.0\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKjhja8781hjuaij65144\n"
    "Via: SIP/2.0/TCP [2001:db8::9:255];branch=z9hG4bK451jj;received=192.0.2.200\n"
    "Call-ID: 997077@lau_4100\n"
    "Max-Forwards: 70\n"
    "CSeq: 89187 BYE\n"
    "To: sip:user@example.net;tag=9817--94\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Content-Length: 0\n"
)

# 4.8 An IPv4 and an IPv6 connection address in the SDP body.
S["mult-ip-in-sdp"] = msg(
    "INVITE sip:user@[2001:db8::10] SIP/2.0\n"
    "To: sip:user@[2001:db8::10]\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    'Contact: "Caller" <sip:caller@[2001:db8::9:1]>\n'
    "Max-Forwards: 70\n"
    "CSeq: 8912 INVITE\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    crlf(
        "v=0\n"
        "o=bob 280744730 28977631 IN IP4 host.example.com\n"
        "s=\n"
        "t=0 0\n"
        "m=audio 22334 RTP/AVP 0\n"
        "c=IN IP4 192.0.2.1\n"
        "m=video 6024 RTP/AVP 107\n"
        "c=IN IP6 2001:db8::1\n"
        "a=rtpmap:107 H263-1998/90000\n"
    ),
)

# 4.9 IPv4-mapped IPv6 addresses in Via, Contact and SDP.
S["ipv4-mapped-ipv6"] = msg(
    "INVITE sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@east.example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19\n"
    "Via: SIP/2.0/UDP [::ffff:192.0.2.2];branch=z9hG4bKas3-111\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    'Contact: "T. desk phone" <sip:ted@[::ffff:192.0.2.2]>\n'
    "CSeq: 612 INVITE\n"
    "Max-Forwards: 70\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {CL}\n",
    crlf(
        "v=0\n"
        "o=assistant 971731711378798081 0 IN IP6 ::ffff:192.0.2.2\n"
        "s=Call me soon, please!\n"
        "c=IN IP6 ::ffff:192.0.2.2\n"
        "t=3338481189 3370017201\n"
        "m=audio 6000 RTP/AVP 2\n"
        "a=rtpmap:2 G726-32/8000\n"
        "m=video 6024 RTP/AVP 107\n"
        "a=rtpmap:107 H263-1998/90000\n"
    ),
)

# 4.10 Three colons before an embedded IPv4 address: not an IPv6 address (the RFC 3261
# ABNF bug, corrected by RFC 5954); and the correct two-colon form.
S["ipv6-bug-abnf-3-colons"] = msg(
    "OPTIONS sip:user@[2001:db8:::192.0.2.1] SIP/2.0\n"
    "To: sip:user@[2001:db8:::192.0.2.1]\n"
    "From: sip:user@example.com;tag=810x2\n"
    "Via: SIP/2.0/UDP lab1.east.example.com;branch=z9hG4bKas3-111\n"
    "Call-ID: G9559905523997077@hlau_4100\n"
    "CSeq: 689 OPTIONS\n"
    "Max-Forwards: 70\n"
    "Content-Length: 0\n"
)
S["ipv6-correct-abnf-2-colons"] = msg(
    "OPTIONS sip:user@[2001:db8::192.0.2.1] SIP/2.0\n"
    "To: sip:user@[2001:db8::192.0.2.1]\n"
    "From: sip:user@example.com;tag=810x2\n"
    "Via: SIP/2.0/UDP lab1.east.example.com;branch=z9hG4bKas3-111\n"
    "Call-ID: G9559905523997077@hlau_4100\n"
    "CSeq: 689 OPTIONS\n"
    "Max-Forwards: 70\n"
    "Content-Length: 0\n"
)

if __name__ == "__main__":
    for name, data in M.items():
        write("rfc4475", name, data)
    for name, data in S.items():
        write("rfc5118", name, data)
    print(f"{len(M)} RFC 4475 and {len(S)} RFC 5118 messages written")
