// Fills a Markdown template: `{{name}}` is a value; `{{#name}}...{{/name}}` is kept when `name` is
// true (or a non-empty string) and dropped otherwise; `{{! ... }}` is a comment. A marker or comment
// alone on its line takes the line with it, so that blocks can stand on lines of their own.

export type TemplateValues = Readonly<Record<string, string | boolean>>

const STANDALONE = /^(\{\{[#/!][^}]*\}\})\n/gm
const BLOCK = /\{\{#([\w.]+)\}\}([\s\S]*?)\{\{\/\1\}\}/
const COMMENT = /\{\{![^}]*\}\}/g
const VALUE = /\{\{([\w.]+)\}\}/g

export function fillTemplate(template: string, values: TemplateValues): string {
  let text = template.replace(STANDALONE, '$1').replace(COMMENT, '')
  // Outermost block first; blocks kept are searched again for the blocks inside them.
  for (let block = BLOCK.exec(text); block !== null; block = BLOCK.exec(text)) {
    const [whole, name = '', content = ''] = block
    text = text.slice(0, block.index) + (shown(values, name) ? content : '') + text.slice(block.index + whole.length)
  }
  // One pass, so that no value is read as a template in its turn.
  return text.replace(VALUE, (_, name: string) => {
    const value = values[name]
    if (typeof value !== 'string') throw new Error(`the template names {{${name}}}, which has no text`)
    return value
  })
}

function shown(values: TemplateValues, name: string): boolean {
  const value = values[name]
  if (value === undefined) throw new Error(`the template names the block {{#${name}}}, which has no value`)
  return value === true || (typeof value === 'string' && value !== '')
}
