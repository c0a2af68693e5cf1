"""The miner's general failure classes (issue 14), each on small synthetic logs made for the
case: variability at a position, dates and host names and value lists by shape, variable
spans of zero or more tokens, and categorical keys of structured lines as event identity."""

from __future__ import annotations

import json
import random

from rca.table.patterns import mine


def templates(messages: list[str]) -> set[str]:
    return set(mine(messages).templates)


def test_words_seen_once_each_at_one_position_are_a_variable():
    assert templates([f"session opened for user {u}" for u in ("alice", "bob", "carol")]) == \
        {"session opened for user <*>"}


def test_words_that_repeat_at_one_position_stay_separate_events():
    msgs = [f"replica role {r} confirmed" for r in ("PRIMARY", "STANDBY", "WITNESS") for _ in range(6)]
    assert len(templates(msgs)) == 3


def test_categorical_words_that_each_repeat_stay_separate_events():
    # issue 14, unseen systems: a handful of actions or interface names, each many times,
    # are what the event is, not a value in it
    msgs = [f"{verb} (request {i})" for verb in ("start", "drain", "stop", "resetAll", "reloadConf") for i in range(8)]
    assert len(templates(msgs)) == 5
    msgs = [f"link up on port {i} via lane {lane}" for lane in ("fx0", "fx1", "mgmt0") for i in range(10)]
    assert len(templates(msgs)) == 3


def test_a_value_at_a_position_that_is_already_a_variable_joins_it():
    # the same few words beside a template that already holds <*> there are values of it
    msgs = [f"login refused for {u} from 10.0.0.{i}" for u in ("svc", "ops", "dba") for i in range(6)]
    msgs += [f"login refused for {i}{i}{i}{i} from 10.0.0.9" for i in range(1, 4)]
    assert templates(msgs) == {"login refused for <*> from <*>"}


def test_a_rare_value_in_a_slot_with_a_variable_shape_joins_it():
    # issue 14, unseen systems: `<*>:<*>` for most endpoints, a bare name with a port twice
    msgs = [f"10.0.{i}.7:{4000 + i} refused by gateway" for i in range(6)] + \
        ["intranet:80 refused by gateway", "printhub:631 refused by gateway"]
    assert templates(msgs) == {"<*>:<*> refused by gateway"}


def test_a_few_repeating_names_after_a_naming_word_are_values():
    # issue 14, unseen systems: three service accounts, each many times, split one event in three
    msgs = [f"ticket granted for user {u} on 10.2.0.{i}" for u in ("svc_backup", "mailer", "guest") for i in range(9)]
    assert templates(msgs) == {"ticket granted for user <*> on <*>"}


def test_a_date_with_weekday_and_month_names_is_one_variable():
    msgs = [f"snapshot taken at {d} {m} {i + 3} 0{i}:15:22 UTC 2024"
            for i, (d, m) in enumerate([("Mon", "Mar"), ("Tue", "Apr"), ("Sat", "Jun")])]
    assert templates(msgs) == {"snapshot taken at <*>"}


def test_iso_timestamps_and_clock_times_inside_messages_are_variables():
    assert templates(["lease renewed until 2024-05-01T10:00:00Z", "lease renewed until 2024-06-11 23:59:58.120"]) == \
        {"lease renewed until <*>"}
    # a clock time in digits alone keeps its colons, as the corrected labels write it
    assert templates(["retry scheduled for 14:02:09"]) == {"retry scheduled for <*>:<*>:<*>"}


def test_a_date_or_time_written_in_digits_keeps_its_separators():
    # issue 14, unseen systems: the corrected labels write a numeric time as <*>:<*>:<*> (each
    # digit run a variable, a fraction of a second joined to its seconds), not as one <*>
    assert templates(["11:07:29.673 : purged contact hashes"]) == {"<*>:<*>:<*> : purged contact hashes"}
    assert templates(["RTC: maintenance 2017/7/6 01:02:03"]) == {"RTC: maintenance <*>/<*>/<*> <*>:<*>:<*>"}
    # times of different shapes in one event still make one template
    assert len(templates(["retry at 2024-06-11 23:59:58.120", "retry at 2024-06-11T23:59:58Z"])) == 1


def test_host_and_domain_names_are_variables():
    msgs = [f"fetched bundle from edge{i}.static-cdn.net" for i in range(1, 4)] + ["fetched bundle from media.example.org"]
    assert templates(msgs) == {"fetched bundle from <*>"}
    assert templates(["gossip from db-7.zone2.cluster"]) == {"gossip from <*>"}


def test_a_host_name_with_its_port_is_one_variable():
    # issue 14, unseen systems: a named endpoint is one value (Hadoop, OpenStack, Proxifier
    # label it so); an IP address and its port stay two, as HDFS and Zookeeper label them
    msgs = [f"fetched bundle from edge{i}.static-cdn.net:8443" for i in range(1, 4)] + ["fetched bundle from media.example.org:443"]
    assert templates(msgs) == {"fetched bundle from <*>"}
    assert templates([f"retrying store-{i}:70{i}0. Attempt {i}" for i in range(3)]) == {"retrying <*>. Attempt <*>"}
    assert templates(["lost peer gw-2/10.4.0.9:7001 again"]) == {"lost peer <*> again"}
    assert templates([f"lost peer 10.4.0.{i}:7001 again" for i in range(3)]) == {"lost peer <*>:<*> again"}
    # one event seen with both kinds of endpoint stays one event
    assert templates(["tunnel to 10.1.2.3:22 up", "tunnel to 10.1.2.4:22 up", "tunnel to cdn.pics.example:8443 up"]) == \
        {"tunnel to <*> up"}


def test_a_key_with_a_dash_before_a_colon_is_not_an_endpoint():
    assert templates(["header content-length:512 too big"]) == {"header content-length:<*> too big"}


def test_a_mac_address_is_one_variable_not_a_clock_time():
    msgs = [f"offer sent to 0a:1b:2c:{i}d:4e:5f via br0" for i in range(3)]
    assert templates(msgs) == {"offer sent to <*> via br0"}


def test_variables_side_by_side_inside_quotes_are_one_value():
    # issue 14, unseen systems: `"GET <path> HTTP/1.1"` is one request target
    msgs = [f'10.0.0.{i} "GET /v1/items/{i} HTTP/1.1" status: 200' for i in range(4)]
    assert templates(msgs) == {'<*> "GET <*>" status: <*>'}
    # outside quotes, and across two quoted spans, they stay apart
    assert templates(['moved 4 12 "a" 7 9 "b"']) == {'moved <*> <*> "a" <*> <*> "b"'}


def test_country_code_domains_and_hosts_with_a_port_are_variables():
    # issue 14, unseen systems: a host under a country-code domain was kept as constant text
    assert templates(["lookup failed for relay.maths.uni.ac.xy", "lookup failed for shop.example.com.zz"]) == \
        {"lookup failed for <*>"}
    # a dotted name with a port is an endpoint, whatever its top-level domain
    assert templates(["tunnel to cdn.pics.example:8443 up", "tunnel to GW4471.edge.example.net:443 up"]) == \
        {"tunnel to <*> up"}
    assert templates(["raised at Widget.java:88"]) == {"raised at Widget.java:<*>"}
    # dotted setting names that end in two letters are not domains
    assert templates(["pool.worker.id renamed"]) == {"pool.worker.id renamed"}


def test_dotted_class_and_file_names_are_not_host_names():
    assert templates(["com.acme.billing.InvoiceJob started", "reloaded settings.yaml"]) == \
        {"com.acme.billing.InvoiceJob started", "reloaded settings.yaml"}


def test_value_lists_of_any_length_are_one_variable():
    msgs = ["evicted members [kiwi, plum]", "evicted members [fig, lime, pear, date]",
            "labels red,green,blue attached", "labels a1,b2,c3,d4 attached"]
    assert templates(msgs) == {"evicted members [<*>]", "labels <*> attached"}


def test_names_joined_by_commas_that_start_a_message_are_not_a_list():
    # issue 14, unseen systems: `Service,method,key = 7` names the event; a list is a value
    # after a word, a key or a colon
    assert templates(["ActivityManagerService,attachApplication,callingPid = 13094"]) == \
        {"ActivityManagerService,attachApplication,callingPid = <*>"}


def test_an_optional_variable_span_does_not_split_an_event():
    assert len(templates(["1024 bytes sent", "2048 bytes (2 KB) sent", "96 bytes sent"])) == 1


def test_a_bound_in_place_of_a_duration_does_not_split_an_event():
    msgs = ["job 7 done, took <1 sec", "job 9 done, took 00:04", "job 12 done, took 01:10:09", "job 3 done, took >=5 ms"]
    assert templates(msgs) == {"job <*> done, took <*>"}


def test_a_variable_may_cover_one_or_two_tokens():
    assert templates(['"GET /index.html 200"', '"GET /about"', '"GET /img/4.png 304"']) == {'"GET <*>"'}


def test_spans_that_differ_in_words_or_bare_punctuation_stay_apart():
    assert len(templates(["disk full on sda", "disk nearly full on sda"])) == 2
    assert len(templates(["cache miss!", "cache miss."])) == 2


def _json_lines(n: int) -> str:
    rng = random.Random(7)
    out = []
    for i in range(n):
        path = rng.choice(["/api/order", "/api/franchise", f"/api/user/{rng.randint(1, 999)}"])
        status = rng.choice([200, 200, 200, 503])
        out.append(json.dumps({"level": "info", "msg": "request done", "method": "GET", "path": path,
                               "statusCode": status, "durationMs": rng.randint(1, 900),
                               "reqId": f"{rng.getrandbits(48):012x}"}))
    return "\n".join(out) + "\n"


def test_json_categorical_keys_stay_event_identity(rca, tmp_path):
    path = tmp_path / "service.jsonl"
    path.write_text(_json_lines(400))
    run = rca("patterns", str(path), "-f", "json")
    assert run.code == 0, run.stderr
    found = {t["template"] for t in json.loads(run.stdout)["templates"]}
    assert "path=/api/order statusCode=503 request done" in found
    assert "path=/api/order statusCode=200 request done" in found
    assert "path=/api/user/<*> statusCode=200 request done" in found
    assert len(found) == 6  # three endpoints × two statuses; durations and request ids vary inside


def test_logfmt_categorical_keys_stay_event_identity(rca, tmp_path):
    rng = random.Random(5)
    lines = [f"at=info method={rng.choice(['GET', 'POST'])} status={rng.choice([200, 502])} "
             f"dur={rng.randint(1, 500)}ms req={rng.getrandbits(40):010x} msg=\"handled\"" for _ in range(300)]
    path = tmp_path / "router.log"
    path.write_text("\n".join(lines) + "\n")
    run = rca("patterns", str(path), "-f", "json")
    assert run.code == 0, run.stderr
    found = {t["template"] for t in json.loads(run.stdout)["templates"]}
    assert 'method=GET status=502 at=info dur=<*> req=<*> msg="handled"' in found
    assert len(found) == 4


def test_a_unit_that_varies_after_a_value_is_part_of_the_value():
    # issue 14: `size <*> B` and `size <*> KB` are one event
    msgs = [f"cached chunk {i} (size {s} {u}, free {f} KB)" for i, (s, u, f) in
            enumerate([(512, "B", 9000), (3.5, "KB", 8800), (20.1, "KB", 8700), (88, "B", 8600)])]
    assert templates(msgs) == {"cached chunk <*> (size <*>, free <*>)"}


def test_a_unit_that_stays_the_same_after_a_value_is_kept():
    # issue 14, unseen systems: `memory <*> MB` keeps its unit, as the corrected labels do
    msgs = [f"claim for vm {i}: memory {m} MB, disk {d} GB" for i, (m, d) in enumerate([(2048, 20), (512, 40), (4096, 80)])]
    assert templates(msgs) == {"claim for vm <*>: memory <*> MB, disk <*> GB"}


def test_a_number_glued_to_a_short_unit_is_a_variable():
    msgs = ["probe 3 reads 41C on board", "probe 7 reads 38C on board", "volume holds 15GB of 20GB"]
    assert templates(msgs) == {"probe <*> reads <*> on board", "volume holds <*> of <*>"}


def test_a_name_dash_number_keeps_its_name():
    # issue 14, unseen systems: `node-<*>` is how the corrected labels write node-17, node-204
    msgs = [f"heartbeat lost from node-{i} on rack {i % 3}" for i in (17, 204, 5, 88)]
    assert templates(msgs) == {"heartbeat lost from node-<*> on rack <*>"}
    # an id glued with an underscore is still one variable (blk_<*> → <*>)
    assert templates([f"block blk_{i}90417 replicated" for i in (1, 22, 333)]) == {"block <*> replicated"}


def test_numbered_names_side_by_side_are_one_list():
    # issue 14, unseen systems: a list of node names of any length is one value
    msgs = ["could not resolve sources " + " ".join(f"rk{i}" for i in range(a, a + n)) for a, n in ((3, 40), (90, 130), (7, 3))]
    assert templates(msgs) == {"could not resolve sources <*>"}


def test_words_with_numbers_but_different_prefixes_are_not_a_list():
    assert templates(["switch eth0 to vlan2 on br1"]) == {"switch eth0 to vlan2 on br1"}


def test_a_value_wrapped_in_a_pair_of_symbols_is_the_value():
    # an anonymiser's marks (#7#) around a value
    msgs = [f"session for #{i}# from #{i + 9}# accepted" for i in (3, 14, 27)]
    assert templates(msgs) == {"session for <*> from <*> accepted"}
    # but a run of values joined by doubled symbols stays as it is
    assert templates(["steps=12##40##7"]) == {"steps=<*>##<*>##<*>"}


def test_a_host_name_with_a_capitalised_first_label_is_a_variable():
    msgs = [f"Resolved RACK-{i}.corp.example.com to rack {i % 2}" for i in (3, 9, 41)]
    assert templates(msgs) == {"Resolved <*> to rack <*>"}
    assert templates(["loaded Config.yaml"]) == {"loaded Config.yaml"}


def test_a_marker_where_a_reading_should_be_is_its_own_event():
    # issue 14, unseen systems: `****` for a sensor that gave no reading is a different event
    ok = [f"fan rpm ( {a} {b} {c} )" for a, b, c in ((3100, 2950, 3010), (3120, 2990, 3000), (2870, 3050, 3100))]
    failed = [f"fan rpm ( {a} **** {c} )" for a, c in ((3100, 3010), (3150, 2980), (3020, 3000))]
    assert templates(ok + failed) == {"fan rpm ( <*> <*> <*> )", "fan rpm ( <*> **** <*> )"}


def test_a_missing_value_written_as_a_dash_or_empty_brackets_is_the_same_event():
    msgs = ["login from 10.1.0.7 (gw.example.org) ok", "login from 10.1.0.9 () ok", "login from 10.1.0.4 (vpn.example.org) ok"]
    assert len(templates(msgs)) == 1
    msgs = ["GET /a by alice 200", "GET /b by - 200", "GET /c by bob 200", "GET /d by carol 200"]
    assert len(templates(msgs)) == 1


def test_the_word_a_message_starts_with_names_the_event():
    # issue 14, unseen systems: `syslogd startup succeeded` and `klogd startup succeeded` are
    # two events, as `tickTime set to <*>` and `maxSessionTimeout set to <*>` are
    msgs = [f"{d} startup succeeded" for d in ("syslogd", "klogd", "portmap", "crond")]
    assert len(templates(msgs)) == 4
    # a value later in the message still varies
    assert templates([f"startup of {d} succeeded" for d in ("syslogd", "klogd", "portmap", "crond")]) == \
        {"startup of <*> succeeded"}


def test_a_version_is_a_value():
    msgs = ["Real Time Clock Driver v1.12", "Real Time Clock Driver v2.0.3"]
    assert templates(msgs) == {"Real Time Clock Driver <*>"}


def test_an_optional_span_merged_into_a_measure_becomes_one_variable():
    # issue 14, unseen systems: `451 bytes sent` and `18846 bytes (18.4 KB) sent` are one
    # event whose value spans zero or more tokens
    msgs = ["gw:443 close, 0 bytes sent, 12 bytes received", "gw:443 close, 451 bytes sent, 18846 bytes (18.4 KB) received",
            "gw:443 close, 9120 bytes (8.9 KB) sent, 77 bytes received"]
    assert templates(msgs) == {"gw:<*> close, <*> sent, <*> received"}


def test_bytes_after_a_value_stay_where_every_message_has_them():
    msgs = [f"hash table entries: {n} (order {o}, {b} bytes)" for n, o, b in ((512, 0, 4096), (8192, 3, 32768), (16384, 4, 65536))]
    assert templates(msgs) == {"hash table entries: <*> (order <*>, <*> bytes)"}


def test_two_dotted_identifiers_that_vary_together_are_two_variables():
    pairs = [("io.acme.queue.OrderEvent", "io.acme.app.OrderRouter"), ("io.acme.queue.TaskEvent", "io.acme.app.TaskRouter"),
             ("io.acme.bus.JobEvent", "io.acme.app.Jobs$Router"), ("io.acme.bus.Tick", "io.acme.clock.TickHandler")]
    assert templates([f"Registering handler {a} for class {b}" for a, b in pairs]) == \
        {"Registering handler io.acme.<*> for class io.acme.<*>"}
    # as the first word they name the event instead (a setting that is deprecated)
    msgs = [f"{a} is deprecated. Instead, use {b}" for a, b in pairs]
    assert len(templates(msgs)) == 4


def test_a_dotted_name_keeps_the_labels_its_values_share():
    # issue 14, unseen systems: classes of one package vary below the package name
    msgs = [f"loaded plugin org.acme.plugins.{n} in {i} ms" for i, n in enumerate(("audit.Trail", "Cache", "v2.Router$Sink"))]
    assert templates(msgs) == {"loaded plugin org.acme.plugins.<*> in <*> ms"}
    # host names that differ in their first label are still one variable
    assert templates([f"gossip from {h}.zone2.cluster" for h in ("db-7", "db-9", "cache-1")]) == {"gossip from <*>"}


def test_a_default_account_name_is_a_value_in_any_case():
    # the corrected labels mask root/admin/null whatever their case (ROOT LOGIN ON tty2)
    assert templates(["ROOT LOGIN ON tty2"]) == {"<*> LOGIN ON tty2"}
    assert templates(["owner is Null"]) == {"owner is <*>"}


def test_a_full_stop_after_an_identifier_stays_text():
    # issue 14, development systems: `job job_1445062781478_0011.` ends a sentence; the
    # identifier is the value, the full stop is not part of it
    assert templates(["launching multi-container job job_1445062781478_0011."]) == \
        {"launching multi-container job <*>."}
    assert templates(["saved output of blk_90211, closing"]) == {"saved output of <*>, closing"}


def test_a_single_rare_word_where_the_event_has_a_variable_joins_it():
    # one message says `chdir(pwd)` where the others of the event carry a masked value
    msgs = [f"login: chdir({d}) failed: No such file or directory" for d in ("/home/a", "/srv/b/c", "/tmp/x")] + \
        ["login: chdir(pwd) failed: No such file or directory"]
    assert templates(msgs) == {"login: chdir(<*>) failed: No such file or directory"}
    msgs = [f"session closed for user {u}" for u in ("root", "admin")] + ["session closed for user fztu"]
    assert templates(msgs) == {"session closed for user <*>"}
    # the word a message starts with still names the event
    assert len(templates(["12 workers started", "scheduler started"])) == 2


def test_one_name_numbered_differently_is_a_variable():
    # issue 14, development systems: `U01 node` and `U11 node` are one event whose
    # slot name carries a number, even when only two numbers are seen
    msgs = [f"card check: {u} node in slot {i} do not match" for u in ("U01", "U11") for i in range(3)]
    assert templates(msgs) == {"card check: <*> node in slot <*> do not match"}
    # names that differ in their letters stay different events
    msgs = [f"link {w} down on port {i}" for w in ("up0", "dn0") for i in range(3)]
    assert len(templates(msgs)) == 2


def test_a_windows_path_is_one_value_even_with_spaces_in_folder_names():
    msgs = [r"Loading C:\Program Files\Acme Tools\agent.dll for session 12",
            r"Loading C:\Windows\System32\kern.dll for session 14"]
    assert templates(msgs) == {"Loading <*> for session <*>"}
    assert templates([r"copy \\filer01\q3 reports\summary.txt done"]) == {"copy <*> done"}


def test_two_names_after_a_naming_word_are_values():
    # issue 14: `user alice` and `user bob` are one event even when only two users are seen
    msgs = [f"user {u} logged in from 10.0.0.{i}" for u in ("alice", "bob") for i in range(3)]
    assert templates(msgs) == {"user <*> logged in from <*>"}


def test_an_object_at_an_address_is_not_an_email():
    # an e-mail's domain ends in letters; `Connector@0.0.0.0:8080` is an object bound to an endpoint
    msgs = [f"Started Server$Connector@0.0.0.0:{p}" for p in (8080, 8081)]
    assert templates(msgs) == {"Started Server$Connector@<*>:<*>"}
    assert templates(["mail from ops.team@example.org"]) == {"mail from <*>"}


def test_a_short_hash_of_hex_digits_is_a_value():
    # a Java identity hash (`c@8a2a1f`) or a short id mixes hex letters and numbers
    msgs = ["record manager is com.acme.g.c@8a2a1f", "record manager is com.acme.g.c@1b6d3586"]
    assert templates(msgs) == {"record manager is com.acme.g.c@<*>"}
    # a word of hex letters alone is still a word
    assert templates(["cache state is facade"]) == {"cache state is facade"}


def test_a_hash_whose_digits_were_masked_first_is_still_one_value():
    # issue 14, development systems: `c@8a2a1234` loses its digit run to the number mask
    # first; what is left (`8a2a<*>`) is the same hash as `c@1b6d3586`
    msgs = [f"record manager is com.acme.g.c@{h}" for h in ("8a2a1234", "1b6d3586", "77ab901")]
    assert templates(msgs) == {"record manager is com.acme.g.c@<*>"}
    # a word glued to a number is not a hash
    assert templates(["retry step2a000 queued"]) == {"retry <*> queued"}


def test_not_available_written_as_n_a_is_a_missing_value():
    # issue 14, development systems: `n/a` stands where a value would (like null)
    msgs = [f"create request path:{p} failed" for p in ("/app/a", "/app/b", "/srv/c")] + ["create request path:n/a failed"]
    assert templates(msgs) == {"create request path:<*> failed"}
    assert templates(["peer version N/A"]) == {"peer version <*>"}


def test_two_values_after_a_key_are_one_list():
    # issue 14, development systems: `acls to: alice,bob` holds a list of two values
    assert templates(["modify acls set to: alice,bob"]) == {"modify acls set to: <*>"}
    assert templates(["groups=wheel,staff"]) == {"groups=<*>"}
    # two words joined by a comma in prose stay text, as does a list followed by another key
    assert templates(["screen status unknown,think screen on"]) == {"screen status unknown,think screen on"}
    assert templates(["app = mail,level = 3"]) == {"app = mail,level = <*>"}


def test_two_value_like_tokens_that_vary_together_are_two_variables():
    # a record's component name and its task number change together, each many values
    records = [("3c6a5f2", "com.acme.settings/.Main", 5), ("9ab01c", "com.acme.mail/.Inbox", 12),
               ("1f2e3d4", "com.acme.maps/.Map", 7)]
    msgs = [f"Resumed ActivityRecord{{{h} u0 {c} t{t}}}" for h, c, t in records]
    assert templates(msgs) == {"Resumed ActivityRecord{<*> u0 com.acme.<*> <*>}"}
    # plain words that vary together are still different events
    msgs = [f"state {a} after {b} ok" for a, b in (("idle", "boot"), ("busy", "load"), ("down", "halt"))]
    assert len(templates(msgs)) == 3


def test_a_name_numbered_in_several_places_is_an_id():
    # issue 14, development systems: a location code (R25-M1-N2) or a part id (J03-U11)
    assert templates(["shutting down card(R25-M1-N2) for service"]) == {"shutting down card(<*>) for service"}
    assert templates(["packet from J03-U11 dropped"]) == {"packet from <*> dropped"}
    # one number at the end of a name is part of the name (ssh2, tty2, SOCKS5)
    assert templates(["ROOT LOGIN ON tty2 via ssh2"]) == {"<*> LOGIN ON tty2 via ssh2"}


def test_an_ipv6_address_is_one_variable():
    msgs = ["connect to fe80::1ff:fe23:4567:890a%en0 failed", "connect to 2001:db8::8a2e:370:7334 failed"]
    assert templates(msgs) == {"connect to <*> failed"}
    assert templates(["loopback ::1 up"]) == {"loopback <*> up"}
    # issue 14, unseen systems: groups of hex letters beside groups whose digits were masked
    # (f140, fecd, 467f) are still one address, in either case
    assert templates(["IPV6 Addr: 2607:f140:6000:8:c6b3:1ff:fecd:467f", "interface en0 (2607:F140:6000:8:C6B3:1FF:FECD:467F)"]) == \
        {"IPV6 Addr: <*>", "interface en0 (<*>)"}
    # scoped names in code are not addresses
    assert templates(["Driver::powerChange: System Sleep", "call A::B::C ok"]) == \
        {"Driver::powerChange: System Sleep", "call A::B::C ok"}


def test_a_path_with_its_query_string_is_one_value():
    msgs = ["GET /api/v1/users?id=12&x=3 200", "GET /api/v1/items?id=9 404"]
    assert templates(msgs) == {"GET <*> <*>"}


def test_a_path_with_capitalised_words_after_spaces_in_its_folders_is_one_value():
    # issue 14, development systems: `/data/Nodes/dn12/pkts.rrd`-style paths under folders
    # whose names hold spaces (Application Support, Acme Mail.app)
    msgs = ["read /Library/Application Support/acme/state.plist ok", "read /Users/ann/Acme Mail.app/Contents/Info.plist ok"]
    assert templates(msgs) == {"read <*> ok"}
    # a lower-case word after a path ends it
    assert templates(["read /a/b failed and/or skipped"]) == {"read <*> failed and/or skipped"}


def test_two_key_values_that_vary_together_are_two_variables():
    rows = [("sync", "com.acme.mail"), ("alarm", "com.acme.clock"), ("gps", "com.acme.maps")]
    msgs = [f"acquire lock={i}, tag={t}, name={n}, uid=1000" for i, (t, n) in enumerate(rows)]
    assert templates(msgs) == {"acquire lock=<*>, tag=<*>, name=<*>, uid=<*>"}


def test_a_keys_quoted_value_or_dotted_name_is_a_value_even_seen_once():
    # issue 14, unseen systems: a record of key=value pairs seen once has no variability to
    # go by; a quoted value or a dotted name of three labels after a key is data by its shape
    assert templates(['acquire lock=7, tag="View Lock", name=com.acme.mail, uid=1000']) == \
        {'acquire lock=<*>, tag="<*>", name=<*>, uid=<*>'}
    # spaces around the equals sign, and an object's address after the name, change nothing
    assert templates(["insert size = 3, packageName = com.acme.health, type = 7"]) == \
        {"insert size = <*>, packageName = <*>, type = <*>"}
    assert templates(["sport data manager=com.acme.health.g.c@8a2a1f3"]) == {"sport data manager=<*>"}
    # a logfmt message or error text in quotes is the event's text, not a value
    assert templates(['level=info msg="cache warmed" took=12ms']) == {'level=info msg="cache warmed" took=<*>'}
    # a file name and a plain word after a key stay: they name the event's place or kind
    assert templates(["ASSERT file=main.cpp line=12"]) == {"ASSERT file=main.cpp line=<*>"}
    assert templates(["auth failure; tty=ssh user=root"]) == {"auth failure; tty=ssh user=<*>"}


def test_a_name_glued_to_its_number_by_an_angle_bracket_is_one_value():
    # issue 14, unseen systems: Switch<0>(0x0) is an object and its address, both values
    assert templates(["IOSwitch<0>(0x0)::callback port = 12"]) == {"<*>(<*>)::callback port = <*>"}
    # a variable's closing angle bracket is part of it, as the corrected labels write it
    assert templates(["resourcelimit=<memory:0, vCores:-27> knownNMs=4"]) == \
        {"resourcelimit=<memory:<*>, vCores:<*> knownNMs=<*>"}


def test_a_quoted_value_of_several_words_joins_the_quoted_variable():
    # issue 14: a free-text value in quotes (a display name) varies in how many words it holds
    msgs = [f'printer "{n}" added by uid {i}' for i, n in enumerate(("lab", "Office", "hall"))]
    msgs += ['printer "Lab Printer 2" added by uid 7', 'printer "Front Desk" added by uid 9']
    assert templates(msgs) == {'printer "<*>" added by uid <*>'}
    # two events that each quote a different fixed phrase stay apart
    assert len(templates(['mode "read only" set', 'mode "safe boot" cleared'])) == 2


def test_a_user_name_leading_a_message_is_a_value_when_the_log_names_it_elsewhere():
    # issue 14: `alice logged in` / `bob logged in` split per user; the same log shows these
    # words as values of `user`, so they are values where they lead a message too
    msgs = [f"{u} logged in from 10.0.0.{i}" for i, u in enumerate(("alice", "bob"))]
    msgs += [f"session opened for user {u}" for u in ("alice", "bob", "carol")]
    assert templates(msgs) == {"<*> logged in from <*>", "session opened for user <*>"}
    # words that lead messages and are never named as values still name the event
    msgs = [f"{d} startup succeeded" for d in ("syslogd", "klogd", "sshd")] + ["session opened for user alice"]
    assert len(templates(msgs)) == 4
    # a naming word followed by one word only (`user unknown`) does not make that word a value
    msgs = ["check pass; user unknown", "unknown host rejected", "unknown peer rejected"]
    assert "check pass; user unknown" in templates(msgs)


def test_quoted_statements_that_are_the_whole_message_stay_separate_events():
    # a text log of SQL statements, each quoted whole: the statements are the events
    msgs = ['"SELECT * FROM menu"', '"SELECT userId FROM auth WHERE token=?"', '"DELETE FROM auth WHERE token=?"',
            '"<*>"', '"INSERT INTO orderItem (orderId, price) VALUES (?, ?)"']
    assert len(templates(msgs)) == 5


def test_short_flags_side_by_side_after_a_key_are_one_list():
    # issue 14: a value list written with spaces (`Flags: SYN ACK`) varies in length
    msgs = ["tcp drop from 10.0.0.1 Flags: SYN ACK", "tcp drop from 10.0.0.2 Flags: SYN", "tcp drop from 10.0.0.3 Flags: FIN PSH URG"]
    assert templates(msgs) == {"tcp drop from <*> Flags: <*>"}
    assert templates(["link training failed: wanted: B C X+ X- got: B C X-"]) == \
        {"link training failed: wanted: <*> got: <*>"}
    # words after a key are not flags
    assert templates(["Error: NO SUCH FILE"]) == {"Error: NO SUCH FILE"}


def test_a_path_ending_in_a_file_name_with_spaces_is_one_value():
    # issue 14: a path with a space outside the capitalised-folder shape, a file name that
    # holds spaces and ends the message
    msgs = ["will write to /var/logs/reports/[2017-07-06_08,33,08.335] - AuthFail:sts:5_rsn:0.xml",
            "will write to /var/logs/reports/[2017-07-06_09,01,44.101] - AssocFail:sts:2_rsn:0.xml"]
    assert templates(msgs) == {"will write to <*>"}
    assert templates(["saved /srv/data/My Report 2.pdf"]) == {"saved <*>"}
    # prose after a path is not part of it
    assert templates(["read /srv/a/b ok then stop.txt"]) == {"read <*> ok then stop.txt"}
