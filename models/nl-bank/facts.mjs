// The recall facts of the natural-language bank: well-known facts that a
// model pretrained on English text has seen many times. Each answer is one
// word; models/nl-bank/README.md says how they were chosen (one undisputed
// answer, and no subject whose name gives its answer away).

// Country -> capital.
export const capitals = [
  ['France', 'Paris'], ['Germany', 'Berlin'], ['Italy', 'Rome'], ['Spain', 'Madrid'], ['Portugal', 'Lisbon'],
  ['the United Kingdom', 'London'], ['Ireland', 'Dublin'], ['Belgium', 'Brussels'], ['the Netherlands', 'Amsterdam'],
  ['Austria', 'Vienna'], ['Switzerland', 'Bern'], ['Poland', 'Warsaw'], ['the Czech Republic', 'Prague'],
  ['Hungary', 'Budapest'], ['Greece', 'Athens'], ['Sweden', 'Stockholm'], ['Norway', 'Oslo'], ['Denmark', 'Copenhagen'],
  ['Finland', 'Helsinki'], ['Iceland', 'Reykjavik'], ['Russia', 'Moscow'], ['Ukraine', 'Kyiv'], ['Romania', 'Bucharest'],
  ['Bulgaria', 'Sofia'], ['Serbia', 'Belgrade'], ['Croatia', 'Zagreb'], ['Slovakia', 'Bratislava'],
  ['Slovenia', 'Ljubljana'], ['Latvia', 'Riga'], ['Lithuania', 'Vilnius'], ['Estonia', 'Tallinn'], ['Belarus', 'Minsk'],
  ['Albania', 'Tirana'], ['Turkey', 'Ankara'], ['Egypt', 'Cairo'], ['Morocco', 'Rabat'], ['Algeria', 'Algiers'],
  ['Tunisia', 'Tunis'], ['Libya', 'Tripoli'], ['Kenya', 'Nairobi'], ['Nigeria', 'Abuja'], ['Ghana', 'Accra'],
  ['Senegal', 'Dakar'], ['Uganda', 'Kampala'], ['Zimbabwe', 'Harare'], ['Sudan', 'Khartoum'], ['Angola', 'Luanda'],
  ['Japan', 'Tokyo'], ['China', 'Beijing'], ['South Korea', 'Seoul'], ['North Korea', 'Pyongyang'], ['Vietnam', 'Hanoi'],
  ['Thailand', 'Bangkok'], ['the Philippines', 'Manila'], ['Indonesia', 'Jakarta'], ['Laos', 'Vientiane'],
  ['Nepal', 'Kathmandu'], ['Bangladesh', 'Dhaka'], ['Pakistan', 'Islamabad'], ['Afghanistan', 'Kabul'], ['Iran', 'Tehran'],
  ['Iraq', 'Baghdad'], ['Syria', 'Damascus'], ['Lebanon', 'Beirut'], ['Jordan', 'Amman'], ['Saudi Arabia', 'Riyadh'],
  ['Qatar', 'Doha'], ['Oman', 'Muscat'], ['Mongolia', 'Ulaanbaatar'], ['Cuba', 'Havana'], ['Jamaica', 'Kingston'],
  ['Canada', 'Ottawa'], ['Chile', 'Santiago'], ['Peru', 'Lima'], ['Colombia', 'Bogotá'], ['Venezuela', 'Caracas'],
  ['Ecuador', 'Quito'], ['Uruguay', 'Montevideo'], ['Paraguay', 'Asunción'], ['Australia', 'Canberra'],
  ['New Zealand', 'Wellington'], ['Armenia', 'Yerevan'], ['Azerbaijan', 'Baku'], ['Uzbekistan', 'Tashkent'],
  ['Nicaragua', 'Managua'], ['Brazil', 'Brasília'], ['Mali', 'Bamako'], ['Somalia', 'Mogadishu'], ['Rwanda', 'Kigali'],
  ['Zambia', 'Lusaka'], ['Mozambique', 'Maputo'], ['Namibia', 'Windhoek'], ['Liberia', 'Monrovia'],
  ['Cyprus', 'Nicosia'], ['Malta', 'Valletta'], ['North Macedonia', 'Skopje'], ['Bosnia and Herzegovina', 'Sarajevo'],
  ['Montenegro', 'Podgorica'], ['Bahrain', 'Manama'],
];

// Country -> its one official (or national) language.
export const languages = [
  ['France', 'French'], ['Germany', 'German'], ['Italy', 'Italian'], ['Spain', 'Spanish'], ['Portugal', 'Portuguese'],
  ['Brazil', 'Portuguese'], ['Mexico', 'Spanish'], ['Argentina', 'Spanish'], ['Japan', 'Japanese'],
  ['Russia', 'Russian'], ['Greece', 'Greek'], ['Turkey', 'Turkish'], ['Poland', 'Polish'], ['the Netherlands', 'Dutch'],
  ['Sweden', 'Swedish'], ['Norway', 'Norwegian'], ['Denmark', 'Danish'], ['Hungary', 'Hungarian'], ['Egypt', 'Arabic'],
  ['Saudi Arabia', 'Arabic'], ['Iran', 'Persian'], ['Israel', 'Hebrew'], ['Thailand', 'Thai'], ['Vietnam', 'Vietnamese'],
  ['South Korea', 'Korean'], ['North Korea', 'Korean'], ['Indonesia', 'Indonesian'], ['Chile', 'Spanish'],
  ['Colombia', 'Spanish'], ['Venezuela', 'Spanish'], ['Cuba', 'Spanish'], ['Austria', 'German'],
  ['the Czech Republic', 'Czech'], ['Ukraine', 'Ukrainian'], ['Romania', 'Romanian'], ['Bulgaria', 'Bulgarian'],
  ['Serbia', 'Serbian'], ['Croatia', 'Croatian'], ['Iceland', 'Icelandic'], ['Latvia', 'Latvian'],
  ['Lithuania', 'Lithuanian'], ['Estonia', 'Estonian'], ['Slovakia', 'Slovak'], ['Mongolia', 'Mongolian'],
  ['Bangladesh', 'Bengali'], ['Uruguay', 'Spanish'], ['Jamaica', 'English'], ['Angola', 'Portuguese'],
  ['Mozambique', 'Portuguese'], ['Nepal', 'Nepali'], ['Albania', 'Albanian'], ['Armenia', 'Armenian'], ['Laos', 'Lao'],
  ['Cambodia', 'Khmer'], ['Jordan', 'Arabic'], ['Syria', 'Arabic'], ['Libya', 'Arabic'], ['Tunisia', 'Arabic'],
  ['Guatemala', 'Spanish'], ['Honduras', 'Spanish'], ['Costa Rica', 'Spanish'], ['Panama', 'Spanish'],
  ['Nicaragua', 'Spanish'], ['El Salvador', 'Spanish'], ['the Dominican Republic', 'Spanish'],
];

// Famous person -> the field of their best-known work.
export const fields = [
  ['Albert Einstein', 'physics'], ['Niels Bohr', 'physics'], ['Max Planck', 'physics'], ['Werner Heisenberg', 'physics'],
  ['Erwin Schrödinger', 'physics'], ['Richard Feynman', 'physics'], ['Enrico Fermi', 'physics'],
  ['Paul Dirac', 'physics'], ['James Clerk Maxwell', 'physics'], ['Stephen Hawking', 'physics'],
  ['Dmitri Mendeleev', 'chemistry'], ['Linus Pauling', 'chemistry'], ['Antoine Lavoisier', 'chemistry'],
  ['John Dalton', 'chemistry'], ['Fritz Haber', 'chemistry'], ['Leonhard Euler', 'mathematics'],
  ['Bernhard Riemann', 'mathematics'], ['Euclid', 'mathematics'], ['Pierre de Fermat', 'mathematics'],
  ['David Hilbert', 'mathematics'], ['Srinivasa Ramanujan', 'mathematics'], ['Évariste Galois', 'mathematics'],
  ['Carl Friedrich Gauss', 'mathematics'], ['Charles Darwin', 'biology'], ['Gregor Mendel', 'genetics'],
  ['Adam Smith', 'economics'], ['John Maynard Keynes', 'economics'], ['Milton Friedman', 'economics'],
  ['David Ricardo', 'economics'], ['Friedrich Hayek', 'economics'], ['Immanuel Kant', 'philosophy'],
  ['Friedrich Nietzsche', 'philosophy'], ['Plato', 'philosophy'], ['Socrates', 'philosophy'],
  ['Confucius', 'philosophy'], ['Søren Kierkegaard', 'philosophy'], ['Baruch Spinoza', 'philosophy'],
  ['David Hume', 'philosophy'], ['John Locke', 'philosophy'], ['Jean-Paul Sartre', 'philosophy'],
  ['Nicolaus Copernicus', 'astronomy'], ['Johannes Kepler', 'astronomy'], ['Edwin Hubble', 'astronomy'],
  ['Tycho Brahe', 'astronomy'], ['Sigmund Freud', 'psychology'], ['Carl Jung', 'psychology'],
  ['B. F. Skinner', 'psychology'], ['Jean Piaget', 'psychology'], ['Hippocrates', 'medicine'],
  ['Edward Jenner', 'medicine'], ['Wolfgang Amadeus Mozart', 'music'], ['Ludwig van Beethoven', 'music'],
  ['Johann Sebastian Bach', 'music'], ['Frédéric Chopin', 'music'], ['Johannes Brahms', 'music'],
  ['Richard Wagner', 'music'], ['Pyotr Tchaikovsky', 'music'], ['Franz Schubert', 'music'],
  ['Pablo Picasso', 'painting'], ['Vincent van Gogh', 'painting'], ['Claude Monet', 'painting'],
  ['Rembrandt', 'painting'], ['Noam Chomsky', 'linguistics'], ['Alan Turing', 'computing'],
];

// Landmark (as it starts a sentence) -> the city it stands in.
export const landmarks = [
  ['The Eiffel Tower', 'Paris'], ['The Louvre', 'Paris'], ['The Arc de Triomphe', 'Paris'],
  ['Notre-Dame Cathedral', 'Paris'], ['The Sacré-Cœur basilica', 'Paris'], ['The Colosseum', 'Rome'],
  ['The Trevi Fountain', 'Rome'], ['The Spanish Steps', 'Rome'], ['The Leaning Tower', 'Pisa'], ['Big Ben', 'London'],
  ['Tower Bridge', 'London'], ['Buckingham Palace', 'London'], ['Westminster Abbey', 'London'],
  ['The British Museum', 'London'], ['Trafalgar Square', 'London'], ['The Brandenburg Gate', 'Berlin'],
  ['The Reichstag building', 'Berlin'], ['Checkpoint Charlie', 'Berlin'], ['The Sagrada Familia', 'Barcelona'],
  ['The Alhambra', 'Granada'], ['The Prado Museum', 'Madrid'], ['The Acropolis', 'Athens'], ['The Parthenon', 'Athens'],
  ['The Kremlin', 'Moscow'], ['Red Square', 'Moscow'], ['The Forbidden City', 'Beijing'],
  ['Tiananmen Square', 'Beijing'], ['The Space Needle', 'Seattle'], ['The Burj Khalifa', 'Dubai'],
  ['The Taj Mahal', 'Agra'], ['The Gateway of India', 'Mumbai'], ['The Blue Mosque', 'Istanbul'],
  ['The Hagia Sophia', 'Istanbul'], ['The Grand Bazaar', 'Istanbul'], ['Topkapi Palace', 'Istanbul'],
  ['The Rijksmuseum', 'Amsterdam'], ['The Anne Frank House', 'Amsterdam'], ['The Atomium', 'Brussels'],
  ['The Manneken Pis', 'Brussels'], ['The Little Mermaid statue', 'Copenhagen'], ['Tivoli Gardens', 'Copenhagen'],
  ['The Charles Bridge', 'Prague'], ['Schönbrunn Palace', 'Vienna'], ['The Doge\'s Palace', 'Venice'],
  ['The Rialto Bridge', 'Venice'], ['The Uffizi Gallery', 'Florence'], ['The Ponte Vecchio', 'Florence'],
  ['The White House', 'Washington'], ['The Lincoln Memorial', 'Washington'], ['The CN Tower', 'Toronto'],
  ['The Western Wall', 'Jerusalem'], ['The Dome of the Rock', 'Jerusalem'], ['The Marina Bay Sands hotel', 'Singapore'],
  ['The Oriental Pearl Tower', 'Shanghai'], ['The Senso-ji temple', 'Tokyo'], ['The Shibuya crossing', 'Tokyo'],
  ['The Kinkaku-ji temple', 'Kyoto'], ['The Shwedagon Pagoda', 'Yangon'], ['Wat Arun', 'Bangkok'],
  ['The Christ the Redeemer statue', 'Rio'],
];
