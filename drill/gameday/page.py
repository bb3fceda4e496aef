# ruff: noqa: E501  (the page is HTML and JavaScript, not Python)
"""The dashboard's web page: the runbook's panels, made for a shared screen; no external assets.

It reads ``/api/stream`` (server-sent events) and falls back to polling ``/api/panels`` every 2 s when
the stream fails (or with ``?poll=1``).  Every panel has an ``id`` of the form ``panel-<name>``.
"""

from __future__ import annotations

__all__ = ["PAGE"]

PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llmdrill game day</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:15px/1.35 system-ui,sans-serif;margin:0;background:#10141a;color:#e6e6e6}
 header{display:flex;gap:1.5em;align-items:baseline;padding:.6em 1em;background:#1b2230}
 h1{font-size:1.2em;margin:0} .muted{color:#8a93a3}
 main{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:.8em;padding:1em}
 section{background:#1b2230;border-radius:8px;padding:.7em .9em} h2{font-size:.95em;margin:0 0 .4em;color:#9fb3c8}
 .big{font-size:1.8em;font-weight:600} .bad{color:#ff6b6b} .warn{color:#ffc857} .ok{color:#7bd88f}
 table{border-collapse:collapse;width:100%} td{padding:.1em .3em} td.n{text-align:right}
 .wide{grid-column:1/-1} #panel-timeline ol{max-height:22em;overflow:auto;margin:0;padding-left:1.2em}
 .sev{font-size:2.4em;font-weight:700} li{margin:.1em 0}
</style></head><body>
<header><h1>llmdrill game day — <span id="scenario">…</span></h1>
 <span>t = <b id="clock">…</b> s</span><span class="muted" id="updated"></span><span class="bad" id="error"></span></header>
<main>
 <section id="panel-severity"><h2>Severity now</h2><div class="sev" id="sev-now">…</div>
  <div id="sev-escalation" class="muted"></div><div>max so far: <b id="sev-max">…</b></div></section>
 <section id="panel-alerts"><h2>Alerts firing</h2><div id="alerts">…</div></section>
 <section id="panel-latency"><h2>LLM latency (last window)</h2><table id="latency"></table></section>
 <section id="panel-errors"><h2>Error rate per provider</h2><table id="errors"></table></section>
 <section id="panel-rpm"><h2>Requests/min against quota</h2><table id="rpm"></table></section>
 <section id="panel-confidence"><h2>Average confidence</h2><div class="big" id="confidence">…</div></section>
 <section id="panel-timeouts"><h2>Timeout rate</h2><div class="big" id="timeouts">…</div></section>
 <section id="panel-cache"><h2>Cache hit rate</h2><div class="big" id="cache">…</div></section>
 <section id="panel-breakers"><h2>Breaker states</h2><table id="breakers"></table></section>
 <section id="panel-faults"><h2>Active faults</h2><div id="faults">…</div></section>
 <section id="panel-mitigation" class="wide"><h2>What the firing alerts point to — runbook mitigation</h2>
  <div id="mitigation">…</div></section>
 <section id="panel-timeline" class="wide"><h2>Timeline: faults, alerts, acts, notes, severity</h2><ol id="timeline"></ol></section>
</main>
<script>
const $=id=>document.getElementById(id);
const esc=s=>String(s??"").replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
const pct=x=>x==null?"–":(100*x).toFixed(1)+" %";
const sec=x=>x==null?"–":x.toFixed(2)+" s";
function rows(obj,fn){return Object.entries(obj||{}).map(([k,v])=>"<tr><td>"+esc(k)+"</td>"+fn(v)+"</tr>").join("")}
function render(d){
 if(d.error){$("error").textContent=d.error}
 if(d.status==="starting"){return}
 $("scenario").textContent=d.scenario; $("clock").textContent=d.t_s;
 $("updated").textContent="updated "+d.utc+(d.time_scale!==1?" · time scale "+d.time_scale:"");
 const s=d.severity; $("sev-now").textContent=s.now; $("sev-max").textContent=s.max; $("sev-escalation").textContent=s.escalation;
 $("sev-now").className="sev "+(s.now==="none"?"ok":s.now==="P4"?"warn":s.now.startsWith("P")?"bad":"muted");
 $("alerts").innerHTML=d.alerts.length?d.alerts.map(a=>"<div class='bad'><b>"+esc(a.rule)+"</b> "+esc(a.condition)+
   " (now "+esc(a.value)+", since "+a.since_s.toFixed(0)+" s)</div>").join(""):"<span class='ok'>none</span>";
 const L=d.latency; $("latency").innerHTML=["p50","p95","p99"].map(q=>"<tr><td>"+q+"</td><td class='n "+
   (q==="p95"&&L[q]!=null&&L.threshold!=null&&L[q]>L.threshold?"bad":"")+"' id='latency-"+q+"'>"+sec(L[q])+"</td></tr>").join("")+
   "<tr><td class='muted'>alert</td><td class='n muted'>p95 &gt; "+esc(L.threshold)+" s</td></tr>";
 $("errors").innerHTML=rows(d.error_rate,v=>"<td class='n "+(v.rate>0.05?"bad":"")+"'>"+pct(v.rate)+"</td><td class='n muted'>"+v.errors+"/"+v.calls+"</td>");
 $("rpm").innerHTML=rows(d.requests_per_min,v=>"<td class='n'>"+v.per_min+"</td><td class='n muted'>/ "+(v.quota??"no quota")+"</td>");
 const c=d.confidence_avg; $("confidence").textContent=c.value==null?"–":c.value.toFixed(2); $("confidence").className="big "+(c.firing?"bad":"ok");
 const t=d.timeout_rate; $("timeouts").textContent=pct(t.value); $("timeouts").className="big "+(t.firing?"bad":"ok");
 $("cache").textContent=pct(d.cache_hit_rate.value);
 $("breakers").innerHTML=rows(d.breakers,v=>"<td class='n "+(v==="closed"?"ok":"bad")+"'>"+esc(v)+"</td>");
 $("faults").innerHTML=d.active_faults.length?d.active_faults.map(f=>"<div><b>"+esc(f.id)+"</b> "+esc(f.label)+"</div>").join(""):"<span class='ok'>none</span>";
 $("mitigation").innerHTML=d.alerts.length?d.alerts.map(a=>"<div><b>"+esc(a.rule)+"</b> → tipo "+esc(a.type_title)+"<ul>"+
   a.mitigations.map(m=>"<li>"+esc(m.title)+" — "+esc(m.objective)+" <code>"+esc(m.how)+"</code></li>").join("")+"</ul></div>").join(""):
   "<span class='muted'>no alert firing</span>";
 $("timeline").innerHTML=d.timeline.map(e=>"<li><span class='muted'>"+e.t_s.toFixed(0)+" s</span> ["+esc(e.kind)+"] "+
   esc(e.text)+(e.who&&e.who!=="llmdrill"?" <span class='muted'>— "+esc(e.who)+"</span>":"")+"</li>").join("");
 document.body.dataset.version=(+(document.body.dataset.version||0)+1);
}
function poll(){fetch("/api/panels").then(r=>r.json()).then(render).catch(e=>$("error").textContent=String(e)).finally(()=>setTimeout(poll,2000))}
if(window.EventSource && !location.search.includes("poll=1")){
 const es=new EventSource("/api/stream"); es.onmessage=m=>render(JSON.parse(m.data)); es.onerror=()=>{es.close();poll()};
}else{poll()}
</script></body></html>
"""
