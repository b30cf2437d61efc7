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
.tools{margin:0 0 .8em}
#filter{font-size:1em;padding:.35em .6em;width:28em;max-width:90%}
#status{font-size:1em;padding:.3em}
#count{margin-left:1em;color:#555}
nav.pager{display:inline-block;margin-left:1em}
nav.pager[hidden]{display:none}
nav.pager button{font-size:1em;min-width:2em}
header nav a{margin-right:.2em}
nav.parts{margin:.8em 0}
nav.parts a,nav.parts b{display:inline-block;min-width:1.6em;text-align:center}
.page{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.2em;margin:1.2em 0}
@media (max-width:1100px){.page{grid-template-columns:1fr}}
.scan{position:relative;align-self:start;border:1px solid #bbb;background:#fff}
.scan img{display:block;width:100%;height:auto}
.scan svg{position:absolute;left:0;top:0;width:100%;height:100%}
.scan rect.low{fill:rgba(255,170,0,.18);stroke:#e07b00;stroke-width:3}
.scan rect.changed{fill:rgba(60,140,255,.12);stroke:#2a6fdb;stroke-width:2}
.scan rect.corrected{fill:rgba(27,110,46,.15);stroke:#1b6e2e;stroke-width:2}
.text{background:#fff;border:1px solid #d7d3c8;padding:.6em .8em;
 font-family:"Noto Serif","Liberation Serif",serif}
.ln{white-space:pre-wrap;padding-left:3.2em;text-indent:-3.2em}
.ln .no{display:inline-block;width:2.8em;margin-right:.4em;color:#999;text-align:right;
 font:12px monospace;text-indent:0}
mark.changed{background:#d6e6ff;border-bottom:2px solid #2a6fdb;color:inherit}
.low{background:#ffe3b3;border-bottom:2px dotted #e07b00}
mark.changed.low{background:#ffd08a}
.dropped del{color:#8a8a8a}
.legend span{margin-right:1.2em}
.corrected,mark.corrected{background:#d3f0d8;border-bottom:2px solid #1b6e2e}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;background:#fff;padding:.6em .8em;
 border:1px solid #d7d3c8}
dl.fields dt{font-weight:600;color:#555}
dl.fields dd{margin:0}
dl.fields dd.doubt{background:#fff3cd;border-bottom:2px dotted #b8860b}
dl.fields .why{color:#8a6d00;font-size:.85em;margin-left:.6em}
ol.outline,ol.outline ol{list-style:none;padding-left:1.3em}
ol.outline{background:#fff;border:1px solid #d7d3c8;padding:.6em .8em .6em 1.2em}
.label{font:12px monospace;color:#666;margin-left:.5em}
.note{color:#666;font-style:italic}
"""

# Sorting (numbers by value, missing numbers last; text in Vietnamese order), a status filter, an
# accent-insensitive text filter (so "thi dua" finds "thi đua" on a keyboard without Vietnamese input) and
# pages of rows. The rows come as JSON (pages.index_page); only the rows of the page on view are built, so
# an index of 10,000 documents opens, sorts and filters at once. The state is kept in the address
# (#sort=-review&status=error&q=thi%20dua&page=2): a link or a reload keeps it.
SCRIPT = """
(function(){
  var table=document.querySelector('table.docs'), json=document.getElementById('rows');
  if(!table||!json) return;
  var body=table.tBodies[0], data=JSON.parse(json.textContent);
  var heads=Array.prototype.slice.call(table.tHead.rows[0].cells);
  var box=document.getElementById('filter'), status=document.getElementById('status');
  var count=document.getElementById('count'), pager=document.querySelector('nav.pager');
  var label=document.getElementById('page'), size=parseInt(table.dataset.pageSize,10)||100;
  // A row: doc_id, href, source path, file name, status, error, issuer, number, date, title, then the
  // display and sort key of pages, OCR confidence and words to review. KEY: each column's sort field.
  var KEY=[3,4,5,6,7,8,9,11,13,15], collator=new Intl.Collator('vi'), sorted='', page=1, shown=data;
  function fold(s){
    return s.normalize('NFD').replace(/[\\u0300-\\u036f]/g,'').replace(/[đĐ]/g,'d').toLowerCase();
  }
  function search(d){
    if(d.s===undefined) d.s=fold([3,4,5,6,7,8,9,10,12,14].map(function(i){return d[i];}).join(' '));
    return d.s;
  }
  function cell(text,cls,key){
    var td=document.createElement('td'); if(cls) td.className=cls;
    if(key!==undefined) td.setAttribute('data-sort',key);
    td.textContent=text; return td;
  }
  function row(d){
    var tr=document.createElement('tr'), first=document.createElement('td'), a=document.createElement('a');
    tr.setAttribute('data-doc',d[0]); tr.setAttribute('data-status',d[4]);
    a.setAttribute('href',d[1]); a.setAttribute('title',d[2]); a.textContent=d[3];
    first.appendChild(a); tr.appendChild(first);
    tr.appendChild(cell(d[4],'status-'+d[4])); tr.appendChild(cell(d[5],'error'));
    [6,7,8,9].forEach(function(i){tr.appendChild(cell(d[i]));});
    [10,12,14].forEach(function(i){tr.appendChild(cell(d[i],'num',d[i+1]));});
    return tr;
  }
  function render(){
    var pages=Math.max(1,Math.ceil(shown.length/size)), rows=document.createDocumentFragment();
    page=Math.min(Math.max(1,page),pages);
    shown.slice((page-1)*size,page*size).forEach(function(d){rows.appendChild(row(d));});
    body.textContent=''; body.appendChild(rows);
    count.textContent=shown.length+' / '+data.length+' documents';
    pager.hidden=pages<2; label.textContent='trang / page '+page+' / '+pages;
  }
  function remember(){
    var parts=[];
    if(sorted) parts.push('sort='+sorted);
    if(status.value) parts.push('status='+encodeURIComponent(status.value));
    if(box.value) parts.push('q='+encodeURIComponent(box.value));
    if(page>1) parts.push('page='+page);
    try{history.replaceState(null,'',parts.length?'#'+parts.join('&'):location.pathname);}catch(e){}
  }
  function filter(){
    var words=fold(box.value).split(/\\s+/).filter(Boolean), want=status.value;
    shown=data.filter(function(d){
      return (!want||d[4]===want)&&words.every(function(w){return search(d).indexOf(w)>=0;});
    });
  }
  function sortBy(col,asc){
    heads.forEach(function(h){h.classList.remove('asc','desc');});
    heads[col].classList.add(asc?'asc':'desc');
    sorted=(asc?'':'-')+heads[col].dataset.key;
    var k=KEY[col], numeric=heads[col].dataset.type==='num', sign=asc?1:-1;
    data.sort(function(a,b){
      var x=a[k], y=b[k];
      if(!numeric) return sign*collator.compare(x,y);
      if(x===''||y==='') return (x==='')-(y==='');
      return sign*(parseFloat(x)-parseFloat(y));
    });
  }
  heads.forEach(function(th,col){
    th.addEventListener('click',function(){
      sortBy(col,!th.classList.contains('asc')); filter(); page=1; render(); remember();
    });
  });
  pager.addEventListener('click',function(e){
    var go=e.target.getAttribute('data-go'); if(!go) return;
    page=go==='first'?1:go==='prev'?page-1:go==='next'?page+1:Infinity;
    render(); remember(); window.scrollTo(0,0);
  });
  var state={};
  location.hash.replace(/^#/,'').split('&').forEach(function(p){
    var i=p.indexOf('='); if(i>0) state[p.slice(0,i)]=decodeURIComponent(p.slice(i+1));
  });
  if(state.sort){
    var key=state.sort.replace(/^-/,'');
    heads.forEach(function(h,col){if(h.dataset.key===key) sortBy(col,state.sort.charAt(0)!=='-');});
  }
  if(state.status) status.value=state.status;
  if(state.q) box.value=state.q;
  page=parseInt(state.page,10)||1;
  box.addEventListener('input',function(){filter(); page=1; render(); remember();});
  status.addEventListener('change',function(){filter(); page=1; render(); remember();});
  filter(); render();
})();
"""


def page(title: str, body: str, *, script: bool = False, extra: str = "") -> str:
    """A complete HTML document with the stylesheet (and the table script) inline; ``extra`` (markup of
    ``sohoa review``) goes at the end of the body."""
    js = (f"<script>{SCRIPT}</script>" if script else "") + extra
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n{js}\n</body>\n</html>\n"
    )
