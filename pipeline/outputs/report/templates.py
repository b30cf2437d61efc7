"""The fixed parts of the review site: one stylesheet and one script, inlined into every page.

Everything is inline so the site opens from a USB stick or a file share with no server and no network.
"""

from __future__ import annotations

from html import escape

CSS = """
body{font:15px/1.45 system-ui,"Segoe UI","Noto Sans",sans-serif;margin:0;color:#1d232a;background:#f6f5f1}
header{background:#24364b;color:#fff;padding:.7em 1.2em}
header a{color:#cfe3ff}
header [class^=status-]{background:#fff;padding:0 .4em;border-radius:3px}
header h1{font-size:1.25em;margin:.1em 0}
main{padding:1em 1.2em}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border:1px solid #d7d3c8;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#ebe7dc;position:sticky;top:0}
table.docs{font-size:14px}
table.docs th{cursor:pointer;user-select:none}
table.docs td:first-child{word-break:break-all;min-width:9em}
table.docs td:nth-child(7){min-width:22em}
table.docs th.asc::after{content:" \\25B2"} table.docs th.desc::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.status-ok{color:#1b6e2e}.status-partial{color:#9a5b00}.status-error{color:#b3261e;font-weight:600}
.error{color:#b3261e}
#filter{font-size:1em;padding:.35em .6em;width:28em;max-width:90%;margin:0 0 .8em}
#count{margin-left:1em;color:#555}
.page{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.2em;margin:1.2em 0}
@media (max-width:1100px){.page{grid-template-columns:1fr}}
.scan{position:relative;align-self:start;border:1px solid #bbb;background:#fff}
.scan img{display:block;width:100%;height:auto}
.scan svg{position:absolute;left:0;top:0;width:100%;height:100%}
.scan rect.low{fill:rgba(255,170,0,.18);stroke:#e07b00;stroke-width:3}
.scan rect.changed{fill:rgba(60,140,255,.12);stroke:#2a6fdb;stroke-width:2}
.text{background:#fff;border:1px solid #d7d3c8;padding:.6em .8em;
 font-family:"Noto Serif","Liberation Serif",serif}
.ln{white-space:pre-wrap;padding-left:3.2em;text-indent:-3.2em}
.ln .no{display:inline-block;width:2.8em;margin-right:.4em;color:#999;text-align:right;
 font:12px monospace;text-indent:0}
mark.changed{background:#d6e6ff;border-bottom:2px solid #2a6fdb;color:inherit}
.low{background:#ffe3b3;border-bottom:2px dotted #e07b00}
mark.changed.low{background:#ffd08a}
.legend span{margin-right:1.2em}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;background:#fff;padding:.6em .8em;
 border:1px solid #d7d3c8}
dl.fields dt{font-weight:600;color:#555}
dl.fields dd{margin:0}
ol.outline,ol.outline ol{list-style:none;padding-left:1.3em}
ol.outline{background:#fff;border:1px solid #d7d3c8;padding:.6em .8em .6em 1.2em}
.label{font:12px monospace;color:#666;margin-left:.5em}
.note{color:#666;font-style:italic}
"""

# Sorting (numbers by value, text in Vietnamese order) and an accent-insensitive filter, so "thi dua"
# finds "thi đua" on a keyboard without Vietnamese input.
SCRIPT = """
(function(){
  var table=document.querySelector('table.docs'); if(!table) return;
  var body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
  function fold(s){
    return s.normalize('NFD').replace(/[\\u0300-\\u036f]/g,'').replace(/[đĐ]/g,'d').toLowerCase();
  }
  rows.forEach(function(r){r.dataset.search=fold(r.textContent);});
  var box=document.getElementById('filter'), count=document.getElementById('count');
  function filter(){
    var words=fold(box.value).split(/\\s+/).filter(Boolean), shown=0;
    rows.forEach(function(r){
      var ok=words.every(function(w){return r.dataset.search.indexOf(w)>=0;});
      r.hidden=!ok; if(ok) shown++;
    });
    count.textContent=shown+' / '+rows.length+' documents';
  }
  box.addEventListener('input',filter); filter();
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,col){
    th.addEventListener('click',function(){
      var asc=!th.classList.contains('asc');
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(h){h.classList.remove('asc','desc');});
      th.classList.add(asc?'asc':'desc');
      var numeric=th.dataset.type==='num';
      rows.sort(function(a,b){
        var x=a.cells[col].dataset.sort||a.cells[col].textContent;
        var y=b.cells[col].dataset.sort||b.cells[col].textContent;
        var c;
        if(numeric){x=x===''?-Infinity:parseFloat(x); y=y===''?-Infinity:parseFloat(y); c=x-y;}
        else c=x.localeCompare(y,'vi');
        return asc?c:-c;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
})();
"""


def page(title: str, body: str, *, script: bool = False) -> str:
    """A complete HTML document with the stylesheet (and the table script) inline."""
    js = f"<script>{SCRIPT}</script>" if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n{js}\n</body>\n</html>\n"
    )
