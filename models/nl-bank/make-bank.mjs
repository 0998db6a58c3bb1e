// Writes models/nl-bank/bank.json: the lead-ins, the recall facts of facts.mjs
// with their kinds' templates, and the reasoning items made here from names, words and
// numbers with a fixed seed (the same bytes on every run). README.md beside
// this file describes the kinds and the file's format.
//
// Usage: node models/nl-bank/make-bank.mjs [OUT.json]
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { capitals, fields, landmarks, languages } from './facts.mjs';
import { seededRandom } from './seeded-random.mjs';

const ITEMS_PER_REASONING_KIND = 300;
const SEED = 2026;

const random = seededRandom(SEED);
const pick = (list) => list[Math.floor(random() * list.length)];
function pickDistinct(list, n) {
  const out = [];
  while (out.length < n) {
    const x = pick(list);
    if (!out.includes(x)) out.push(x);
  }
  return out;
}

// Makes `ITEMS_PER_REASONING_KIND` distinct items (by prompt) from `draw`,
// which returns an item or null for a draw to reject.
function distinctItems(draw) {
  const items = new Map();
  while (items.size < ITEMS_PER_REASONING_KIND) {
    const item = draw();
    if (item && !items.has(item.prompt)) items.set(item.prompt, item);
  }
  return [...items.values()];
}

const NAMES = ['Anna', 'Ben', 'Carl', 'David', 'Emma', 'Frank', 'Grace', 'Henry', 'Jack', 'Kate', 'Laura', 'Mark',
  'Nina', 'Oscar', 'Paul', 'Rose', 'Sam', 'Tom', 'Victor', 'Alice', 'Bob', 'Peter', 'Mary', 'John', 'James', 'Sarah',
  'Lucy', 'Adam', 'Eric', 'Hannah'];

// Comparison: three people in a chain, stated in one of two orders; the
// question asks for the top of the chain. The corruption swaps the top and
// the bottom person everywhere, so the stated facts make the other one top.
const RELATIONS = [['taller', 'tallest'], ['older', 'oldest'], ['faster', 'fastest'], ['stronger', 'strongest'],
  ['richer', 'richest'], ['heavier', 'heaviest'], ['younger', 'youngest'], ['shorter', 'shortest']];

function comparePrompt([top, middle, bottom], [comparative, superlative], chainFirst) {
  const first = `${top} is ${comparative} than ${middle}`;
  const second = `${middle} is ${comparative} than ${bottom}`;
  const facts = chainFirst ? `${first}, and ${second}` : `${second}, and ${first}`;
  return `${facts}. The ${superlative} is`;
}

const makeCompare = () => distinctItems(() => {
  const people = pickDistinct(NAMES, 3);
  const relation = pick(RELATIONS);
  const chainFirst = random() < 0.5;
  const swapped = [people[2], people[1], people[0]];
  return {
    kind: 'compare', prompt: comparePrompt(people, relation, chainFirst), answer: ` ${people[0]}`,
    corrupt_prompt: comparePrompt(swapped, relation, chainFirst), corrupt_answer: ` ${people[2]}`,
    meta: { order: people, relation: relation[0] },
  };
});

// In-context lookup: three invented bindings of colours to animals, then one
// colour asked again. The corruption swaps the asked colour's animal with
// another colour's, so the same words appear and the answer changes.
const COLOURS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'brown', 'pink', 'purple', 'orange', 'gray'];
const ANIMALS = ['cat', 'dog', 'fish', 'bird', 'horse', 'cow', 'pig', 'duck', 'goat', 'sheep', 'mouse', 'frog', 'bear',
  'lion', 'wolf', 'fox', 'rabbit', 'snake', 'tiger', 'monkey'];

function lookupPrompt(colours, animals, asked) {
  const bindings = colours.map((colour, i) => `${colour} means ${animals[i]}`);
  const capital = (word) => word[0].toUpperCase() + word.slice(1);
  return `${capital(bindings[0])}, ${bindings[1]} and ${bindings[2]}. ${capital(colours[asked])} means`;
}

const makeLookup = () => distinctItems(() => {
  const colours = pickDistinct(COLOURS, 3);
  const animals = pickDistinct(ANIMALS, 3);
  const asked = Math.floor(random() * 3);
  const other = (asked + 1 + Math.floor(random() * 2)) % 3;
  const swapped = [...animals];
  [swapped[asked], swapped[other]] = [animals[other], animals[asked]];
  return {
    kind: 'lookup', prompt: lookupPrompt(colours, animals, asked), answer: ` ${animals[asked]}`,
    corrupt_prompt: lookupPrompt(colours, swapped, asked), corrupt_answer: ` ${swapped[asked]}`,
    meta: { bindings: Object.fromEntries(colours.map((c, i) => [c, animals[i]])), asked: colours[asked] },
  };
});

// Arithmetic on stated quantities, numbers written as words (a digit after a
// space is two tokens under Qwen2's pre-tokenizer, a word is one): a person
// has two to twelve things and gets or gives away one to five; the result is
// from one to twelve. The corruption changes the starting quantity by one, so
// the answer changes by one.
const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven',
  'twelve'];
const THINGS = ['apples', 'books', 'coins', 'cards', 'pens', 'eggs', 'stamps', 'shells', 'marbles', 'cookies',
  'flowers', 'candles'];

function arithmeticPrompt(name, start, change, gets, thing) {
  const event = gets ? `gets ${NUMBERS[change]} more` : `gives away ${NUMBERS[change]}`;
  return `${name} has ${NUMBERS[start]} ${thing} and ${event}. Now ${name} has`;
}

const makeArithmetic = () => distinctItems(() => {
  const name = pick(NAMES);
  const thing = pick(THINGS);
  const gets = random() < 0.5;
  const change = 1 + Math.floor(random() * 5);
  const start = 2 + Math.floor(random() * 11);
  const corruptStart = random() < 0.5 ? start + 1 : start - 1;
  const result = gets ? start + change : start - change;
  const corruptResult = gets ? corruptStart + change : corruptStart - change;
  const inRange = (s, r) => s >= 2 && s <= 12 && r >= 1 && r <= 12;
  if (!inRange(start, result) || !inRange(corruptStart, corruptResult)) return null;
  return {
    kind: 'arithmetic', prompt: arithmeticPrompt(name, start, change, gets, thing), answer: ` ${NUMBERS[result]}`,
    corrupt_prompt: arithmeticPrompt(name, corruptStart, change, gets, thing),
    corrupt_answer: ` ${NUMBERS[corruptResult]}`,
    meta: { start, change: gets ? change : -change },
  };
});

// Sentences without facts put before any prompt, of one to sixteen words, so
// that prompts of every kind reach a common token length.
const LEAD_INS = ['', 'Question: ', 'Quiz question: ', 'Answer this question. ', 'Please answer this question. ',
  'Here is a simple question. ', 'Read this and answer the question. ', 'Here is a short question for you. ',
  'Here is the next question for you to answer. ', 'Read the following text and then answer the question. ',
  'Read the following text carefully and then answer the question. ',
  'Here is a short question. Read it and then give the answer. ',
  'Here is a short question. Read it carefully and then give the answer. ',
  'Here is a short question for you. Read it carefully and then give the answer. ',
  'Here is a short question for you to answer. Read it carefully and then give the answer. '];

const facts = (kind, list) => list.map(([subject, answer]) => ({ kind, subject, answer: ` ${answer}` }));

export function makeBank() {
  return {
    format: 'strata-nl-bank',
    version: 1,
    lead_ins: LEAD_INS,
    kinds: {
      capital: { family: 'recall', template: 'The capital of {subject} is' },
      language: { family: 'recall', template: 'The official language of {subject} is' },
      field: { family: 'recall', template: '{subject} is famous for work in the field of' },
      landmark: { family: 'recall', template: '{subject} is in the city of' },
      compare: { family: 'reasoning', chance: 1 / 3 },
      lookup: { family: 'reasoning', chance: 1 / 3 },
      arithmetic: { family: 'reasoning' },
    },
    facts: [...facts('capital', capitals), ...facts('language', languages), ...facts('field', fields),
      ...facts('landmark', landmarks)],
    items: [...makeCompare(), ...makeLookup(), ...makeArithmetic()],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'bank.json');
  const bank = makeBank();
  // One fact or item per line, so that a change to the bank reads well in a diff.
  const lines = (list) => list.map((x) => `  ${JSON.stringify(x)}`).join(',\n');
  const head = JSON.stringify({ format: bank.format, version: bank.version, lead_ins: bank.lead_ins, kinds: bank.kinds },
    null, 1);
  writeFileSync(out, `${head.slice(0, -2)},\n"facts": [\n${lines(bank.facts)}\n],\n"items": [\n${lines(bank.items)}\n]}\n`);
  console.log(`${out}: ${bank.facts.length} facts, ${bank.items.length} reasoning items`);
}
